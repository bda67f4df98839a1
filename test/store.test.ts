import { afterAll, describe, expect, it } from 'vitest'
import { SchemaVersionError, Tickwork } from '../src/index.js'
import type { Db } from '../src/store/db.js'
import { latestVersion, migrate, schemaVersion } from '../src/store/migrate.js'
import { openDb } from '../src/store/open.js'
import { drivers, freshSchema, until } from './helpers.js'

// The Db interface and the migrator, the same on every driver.
describe.each(drivers)('store on $driver', ({ database }) => {
  let db: Db
  const opened: Db[] = []
  const open = async () => {
    const d = await openDb(database())
    opened.push(d)
    return d
  }
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()))
  })

  it('queries with bound parameters, including arrays', async () => {
    db = await open()
    const { rows } = await db.query<{ n: number; a: string[] }>(
      'SELECT $1::int + 1 AS n, $2::text[] AS a',
      [41, ['x', "y'z"]],
    )
    expect(rows[0]).toEqual({ n: 42, a: ['x', "y'z"] })
  })

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const s = freshSchema()
    await db.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (v int)`.split(';')[0] as string)
    await db.query(`CREATE TABLE ${s}.t (v int)`)
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${s}.t VALUES (1)`)
    })
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${s}.t VALUES (2)`)
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    const { rows } = await db.query(`SELECT v FROM ${s}.t`)
    expect(rows).toEqual([{ v: 1 }])
  })

  it('delivers notifications to listeners, and stops after unlisten', async () => {
    const got: string[] = []
    const unlisten = await db.listen('tw_test_chan', (p) => got.push(p))
    await db.notify('tw_test_chan', 'one')
    await until(() => got.length === 1)
    await unlisten()
    await db.notify('tw_test_chan', 'two')
    await new Promise((r) => setTimeout(r, 100))
    expect(got).toEqual(['one'])
  })

  it('migrates a fresh schema once, and again finds nothing to do', async () => {
    const s = freshSchema()
    expect(await schemaVersion(db, s)).toBe(0)
    expect(await migrate(db, s)).toEqual(Array.from({ length: latestVersion() }, (_, i) => i + 1))
    expect(await migrate(db, s)).toEqual([])
    expect(await schemaVersion(db, s)).toBe(latestVersion())
  })

  it('refuses to start on a database newer than the code', async () => {
    const s = freshSchema()
    await migrate(db, s)
    await db.query(`INSERT INTO "${s}".migrations (version, name) VALUES (999, '999_future')`)
    await expect(migrate(db, s)).rejects.toBeInstanceOf(SchemaVersionError)
    if (database() === 'memory://') return
    const tw = new Tickwork({ database: database(), schema: s, logger: false })
    const err = await tw.start().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SchemaVersionError)
    expect((err as Error).message).toMatch(/version 999.*upgrade tickwork/)
    await tw.stop()
  })
})

describe('start', () => {
  it('can be tried again after the database refused it', async () => {
    const tw = new Tickwork({ database: 'postgres://postgres@127.0.0.1:1/none', logger: false })
    const first = await tw.start().catch((e: unknown) => e)
    expect((first as { code?: string }).code).toBe('ECONNREFUSED')
    const second = await tw.start().catch((e: unknown) => e)
    expect((second as { code?: string }).code).toBe('ECONNREFUSED')
    await tw.stop()
  })
})

describe('openDb', () => {
  it('names the setting when the database string is not understood', async () => {
    await expect(openDb('mysql://x')).rejects.toThrow(/database: expected a postgres:\/\/ URL/)
  })
})
