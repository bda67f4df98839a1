import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ValidationError } from '../src/index.js'
import type { LockBackend } from '../src/lock/lock.js'
import { postgresLocks } from '../src/lock/postgres.js'
import type { Db } from '../src/store/db.js'
import { migrate } from '../src/store/migrate.js'
import { openDb } from '../src/store/open.js'
import { ident } from '../src/store/schema.js'
import { freshSchema, manualClock } from './helpers.js'
import { rejection } from './util.js'

/** A lock backend of its own for one test, and a way to move its time on. */
export interface LockHarness {
  locks: LockBackend
  /** moves time on by `ms`: the store's clock, or a real wait where the backend keeps real time */
  advance(ms: number): Promise<void>
}

// short enough for a backend on real time to wait out, long enough to outlast the calls
const SHORT = 200
const LONG = 60_000

let counter = 0

async function invalid(p: Promise<unknown>): Promise<ValidationError> {
  const err = await rejection(p)
  expect(err).toBeInstanceOf(ValidationError)
  return err as ValidationError
}

const near = (a: Date | undefined, b: number, within: number) =>
  expect(Math.abs((a?.getTime() ?? Number.NaN) - b)).toBeLessThan(within)

/** The lock backends' behaviour, the same on each: every backend's test file runs it. */
export function lockConformance(name: string, make: () => Promise<LockHarness>) {
  describe(`locks on ${name}`, () => {
    // names unique to each test, since a Redis keyspace outlives the test that wrote it
    const names = () => {
      const prefix = `tw-test:${process.pid}:${Date.now().toString(36)}:${counter++}:`
      return (n: string) => prefix + n
    }

    it('acquires a free lock, with its owner and expiry', async () => {
      const { locks } = await make()
      const n = names()
      const got = await locks.acquire(n('a'), 'o1', LONG)
      expect(got.acquired).toBe(true)
      if (!got.acquired) return
      expect(got.lock).toMatchObject({ name: n('a'), owner: 'o1' })
      near(got.lock.expiresAt, Date.now() + LONG, 5_000)
      expect(await locks.get(n('a'))).toMatchObject({ name: n('a'), owner: 'o1' })
    })

    it('refuses a second owner, naming the holder', async () => {
      const { locks } = await make()
      const n = names()
      const first = await locks.acquire(n('a'), 'o1', LONG)
      const second = await locks.acquire(n('a'), 'o2', LONG)
      expect(second).toMatchObject({ acquired: false, holder: { name: n('a'), owner: 'o1' } })
      if (!first.acquired || second.acquired) return
      near(second.holder.expiresAt, first.lock.expiresAt.getTime(), 50)
    })

    it('is not re-entrant: the holder asking again is refused, its lease unchanged', async () => {
      const { locks, advance } = await make()
      const n = names()
      const first = await locks.acquire(n('a'), 'o1', LONG)
      await advance(150)
      const again = await locks.acquire(n('a'), 'o1', LONG)
      expect(again).toMatchObject({ acquired: false, holder: { owner: 'o1' } })
      if (!first.acquired || again.acquired) return
      near(again.holder.expiresAt, first.lock.expiresAt.getTime(), 75)
    })

    it('refuses a release by another owner and keeps the lease', async () => {
      const { locks } = await make()
      const n = names()
      await locks.acquire(n('a'), 'o1', LONG)
      expect(await locks.release(n('a'), 'o2')).toBe(false)
      expect(await locks.get(n('a'))).toMatchObject({ owner: 'o1' })
      expect(await locks.acquire(n('a'), 'o2', LONG)).toMatchObject({ acquired: false })
    })

    it('frees the lock on release by its owner, once', async () => {
      const { locks } = await make()
      const n = names()
      await locks.acquire(n('a'), 'o1', LONG)
      expect(await locks.release(n('a'), 'o1')).toBe(true)
      expect(await locks.get(n('a'))).toBeUndefined()
      expect(await locks.release(n('a'), 'o1')).toBe(false)
      expect(await locks.acquire(n('a'), 'o2', LONG)).toMatchObject({ acquired: true })
    })

    it('extends the owner’s lease, and no one else’s', async () => {
      const { locks, advance } = await make()
      const n = names()
      await locks.acquire(n('a'), 'o1', SHORT)
      expect(await locks.extend(n('a'), 'o2', LONG)).toBe(false)
      expect(await locks.extend(n('a'), 'o1', LONG)).toBe(true)
      near((await locks.get(n('a')))?.expiresAt, Date.now() + LONG, 5_000)
      await advance(SHORT + 100)
      expect(await locks.get(n('a'))).toMatchObject({ owner: 'o1' })
      expect(await locks.acquire(n('a'), 'o2', LONG)).toMatchObject({ acquired: false })
    })

    it('lets another owner take a lapsed lease, which the old owner cannot extend', async () => {
      const { locks, advance } = await make()
      const n = names()
      await locks.acquire(n('a'), 'o1', SHORT)
      await advance(SHORT + 50)
      expect(await locks.get(n('a'))).toBeUndefined()
      expect(await locks.extend(n('a'), 'o1', LONG)).toBe(false)
      expect(await locks.acquire(n('a'), 'o2', LONG)).toMatchObject({
        acquired: true,
        lock: { owner: 'o2' },
      })
    })

    it('refuses the release of a lapsed lease someone else took, keeping the new holder', async () => {
      const { locks, advance } = await make()
      const n = names()
      await locks.acquire(n('a'), 'o1', SHORT)
      await advance(SHORT + 50)
      await locks.acquire(n('a'), 'o2', LONG)
      expect(await locks.release(n('a'), 'o1')).toBe(false)
      expect(await locks.extend(n('a'), 'o1', LONG)).toBe(false)
      expect(await locks.get(n('a'))).toMatchObject({ owner: 'o2' })
    })

    it('gets and lists only unexpired leases, by name', async () => {
      const { locks, advance } = await make()
      const n = names()
      await locks.acquire(n('c'), 'o3', LONG)
      await locks.acquire(n('a'), 'o1', SHORT)
      await locks.acquire(n('b'), 'o2', LONG)
      await locks.acquire(n('d'), 'o4', LONG)
      await locks.release(n('d'), 'o4')
      const listed = async () => (await locks.list()).map((l) => [l.name, l.owner])
      expect(await listed()).toEqual([
        [n('a'), 'o1'],
        [n('b'), 'o2'],
        [n('c'), 'o3'],
      ])
      await advance(SHORT + 50)
      expect(await locks.get(n('a'))).toBeUndefined()
      expect(await locks.get(n('b'))).toMatchObject({ owner: 'o2' })
      expect(await listed()).toEqual([
        [n('b'), 'o2'],
        [n('c'), 'o3'],
      ])
    })

    it('clears a lease whoever holds it, and reports false when it was free', async () => {
      const { locks, advance } = await make()
      const n = names()
      await locks.acquire(n('a'), 'o1', LONG)
      expect(await locks.clear(n('a'))).toBe(true)
      expect(await locks.get(n('a'))).toBeUndefined()
      expect(await locks.clear(n('a'))).toBe(false)
      expect(await locks.acquire(n('a'), 'o2', LONG)).toMatchObject({ acquired: true })
      await locks.acquire(n('b'), 'o1', SHORT)
      await advance(SHORT + 50)
      expect(await locks.clear(n('b'))).toBe(false)
    })

    it('gives a free lock to exactly one of 20 owners asking at once', async () => {
      const { locks } = await make()
      const n = names()
      const owners = Array.from({ length: 20 }, (_, i) => `o${i}`)
      const got = await Promise.all(owners.map((o) => locks.acquire(n('a'), o, LONG)))
      const winners = got.flatMap((g) => (g.acquired ? [g.lock.owner] : []))
      expect(winners).toHaveLength(1)
      for (const g of got) if (!g.acquired) expect(g.holder.owner).toBe(winners[0])
      expect(await locks.get(n('a'))).toMatchObject({ owner: winners[0] })
    })

    it('gives a lapsed lease to exactly one of 20 owners asking at once', async () => {
      const { locks, advance } = await make()
      const n = names()
      await locks.acquire(n('a'), 'old', SHORT)
      await advance(SHORT + 50)
      const owners = Array.from({ length: 20 }, (_, i) => `o${i}`)
      const got = await Promise.all(owners.map((o) => locks.acquire(n('a'), o, LONG)))
      const winners = got.flatMap((g) => (g.acquired ? [g.lock.owner] : []))
      expect(winners).toHaveLength(1)
      expect(await locks.get(n('a'))).toMatchObject({ owner: winners[0] })
    })

    it('refuses an empty name or owner and a ttl that is not whole milliseconds above 0', async () => {
      const { locks } = await make()
      const paths = async (p: Promise<unknown>) => (await invalid(p)).issues.map((i) => i.path)
      expect(await paths(locks.acquire('', '', 0))).toEqual(['name', 'owner', 'ttl'])
      for (const ttl of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
        expect(await paths(locks.acquire('x', 'o', ttl))).toEqual(['ttl'])
      expect(await paths(locks.extend('x', 'o', 0))).toEqual(['ttl'])
      expect(await paths(locks.release('x', ''))).toEqual(['owner'])
      expect(await paths(locks.get(''))).toEqual(['name'])
      expect(await paths(locks.clear(''))).toEqual(['name'])
      expect(await locks.list()).toEqual([])
    })
  })
}

/**
 * The conformance suite on Postgres lock backends over one store opened for the file
 * (`database`), each test on a fresh schema with a manual clock, so leases lapse without
 * waiting; and the race only a two-statement acquire has.
 */
export function postgresLockSuite(name: string, database: () => string) {
  let db: Db
  beforeAll(async () => {
    db = await openDb(database(), { poolSize: 8 })
  })
  afterAll(() => db.close())
  const store = async (query = db.query.bind(db)) => {
    const schema = freshSchema()
    await migrate(db, schema)
    const clock = manualClock()
    return { db: { ...db, query }, s: ident(schema), schema, clock }
  }

  lockConformance(name, async () => {
    const own = await store()
    return { locks: postgresLocks(own), advance: async (ms) => own.clock.advance(ms) }
  })

  it(`on ${name}, takes a lock its holder freed between the refused insert and the read`, async () => {
    let interfere = false
    const racing = await store(async (text, params) => {
      // the holder lets go just before the loser reads who holds the lock
      if (interfere && text.trimStart().startsWith('SELECT')) {
        interfere = false
        await db.query(`DELETE FROM ${racing.s}.locks`)
      }
      return db.query(text, params)
    })
    const locks = postgresLocks(racing)
    await locks.acquire('a', 'o1', LONG)
    interfere = true
    expect(await locks.acquire('a', 'o2', LONG)).toMatchObject({
      acquired: true,
      lock: { owner: 'o2' },
    })
    expect(interfere).toBe(false)
  })
}
