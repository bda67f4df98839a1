import { PGlite } from '@electric-sql/pglite'
import type { Db, Tx } from './db.js'

/**
 * The embedded driver: a whole Postgres in this process (PGlite, WebAssembly), data
 * in `dataDir` (a folder, or `memory://` for none). One connection: statements run one
 * after another, and transactions hold it to themselves.
 */
export async function pgliteDb(dataDir: string): Promise<Db> {
  const db = await PGlite.create(dataDir)
  let closed = false
  return {
    driver: 'pglite',
    query: (text, params) => db.query(text, params as unknown[]),
    prepared: (_name, text, params) => db.query(text, params),
    relaxed: (_name, text, params) => db.query(text, params),
    transaction: (fn) =>
      db.transaction((t) => {
        const tx: Tx = {
          query: (text, params) => t.query(text, params as unknown[]),
          exec: async (script) => {
            await t.exec(script)
          },
        }
        return fn(tx)
      }),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    async notify(channel, payload) {
      await db.query('SELECT pg_notify($1, $2)', [channel, payload])
    },
    async close() {
      if (closed) return
      closed = true
      await db.close()
    },
  }
}
