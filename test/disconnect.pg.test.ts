import { expect, it } from 'vitest'
import { pgDb } from '../src/store/pg.js'
import { databaseUrl, pgClient } from './helpers.js'

const admin = await pgClient()

it('a connection the server drops inside a transaction rejects it and crashes nothing', async () => {
  const heard: Error[] = []
  const db = pgDb({ connectionString: databaseUrl(), max: 2, onError: (e) => heard.push(e) })
  try {
    const done = db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      // what a server restart does to every session: terminated while idle in transaction
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid])
      await new Promise((r) => setTimeout(r, 300))
      await tx.query('SELECT 1')
    })
    await expect(done).rejects.toThrow()
    expect(heard.map((e) => e.message).join(' ')).toMatch(/terminat/)
    // the pool hands out a working connection afterwards
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  } finally {
    await db.close()
  }
})
