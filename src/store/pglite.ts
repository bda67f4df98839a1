import { AsyncLocalStorage } from 'node:async_hooks'
import { PGlite } from '@electric-sql/pglite'
import { StateError } from '../errors.js'
import type { Db, Tx } from './db.js'

/**
 * The embedded driver: a whole Postgres in this process (PGlite, WebAssembly), data
 * in `dataDir` (a folder, or `memory://` for none). One connection: statements run one
 * after another, and transactions hold it to themselves.
 */
export async function pgliteDb(dataDir: string): Promise<Db> {
  const db = await PGlite.create(dataDir)
  let closed = false
  // The one connection is the transaction's until it ends, so a statement sent outside
  // it from inside its callback would wait for itself forever: it is refused instead.
  // The flag is cleared at the end, as work begun in the callback may outlive it.
  const inside = new AsyncLocalStorage<{ open: boolean }>()
  const outside = <T>(run: () => Promise<T>): Promise<T> => {
    if (inside.getStore()?.open) {
      return Promise.reject(
        new StateError(
          'on the embedded store a transaction holds its one connection, so nothing outside it can run until it ends: pass its handle ({ tx }) or wait for it to end',
        ),
      )
    }
    return run()
  }
  return {
    driver: 'pglite',
    query: (text, params) => outside(() => db.query(text, params as unknown[])),
    prepared: (_name, text, params) => outside(() => db.query(text, params)),
    relaxed: (_name, text, params) => outside(() => db.query(text, params)),
    transaction: (fn) =>
      outside(() =>
        db.transaction(async (t) => {
          const tx: Tx = {
            query: (text, params) => t.query(text, params as unknown[]),
            exec: async (script) => {
              await t.exec(script)
            },
          }
          const scope = { open: true }
          try {
            return await inside.run(scope, () => fn(tx))
          } finally {
            scope.open = false
          }
        }),
      ),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    notify: (channel, payload) =>
      outside(async () => {
        await db.query('SELECT pg_notify($1, $2)', [channel, payload])
      }),
    async close() {
      if (closed) return
      closed = true
      await db.close()
    },
  }
}
