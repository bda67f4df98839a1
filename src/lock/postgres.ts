import { ConflictError } from '../errors.js'
import { nowDate, type QueueStore } from '../queue/store.js'
import type { Queryable } from '../store/db.js'
import { type Acquired, checkLockArgs, type LockBackend, type LockInfo } from './lock.js'

interface Row {
  name: string
  owner: string
  expires_at: Date
}

const MAX_TRIES = 3

const info = (r: Row): LockInfo => ({ name: r.name, owner: r.owner, expiresAt: r.expires_at })

// The conflict arm sees the latest committed row, even one committed after this
// statement began, so of any number of acquires at once exactly one inserts or takes
// over an expired row; the rest get no row back.
const acquireSql = (s: string) => `
  INSERT INTO ${s}.locks AS l (name, owner, expires_at, acquired_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (name) DO UPDATE
    SET owner = excluded.owner, expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
    WHERE l.expires_at <= $4
  RETURNING name, owner, expires_at`

const holderSql = (s: string) => `
  SELECT name, owner, expires_at FROM ${s}.locks WHERE name = $1 AND expires_at > $2`

// byte order, as Redis's list sorts: the same listing on both backends
const listSql = (s: string) => `
  SELECT name, owner, expires_at FROM ${s}.locks WHERE expires_at > $1 ORDER BY name COLLATE "C"`

/**
 * Named leases in the store's `locks` table. Every time is the store's clock, bound as
 * a parameter, so a test moving its clock moves the leases with it. Each call throws
 * `ValidationError` on bad arguments and rejects with the driver's error when the
 * database fails; `acquire` throws `ConflictError` in the near-impossible case that
 * the lock changes hands between its statements three times running. `close()` does
 * nothing: the store belongs to the caller.
 */
export function postgresLocks(store: QueueStore): LockBackend {
  const { db, s } = store

  async function holder(name: string, now: Date, q: Queryable = db): Promise<LockInfo | undefined> {
    const { rows } = await q.query<Row>(holderSql(s), [name, now])
    return rows[0] && info(rows[0])
  }

  return {
    kind: 'postgres',

    async acquire(name, owner, ttlMs, q = db): Promise<Acquired> {
      checkLockArgs({ name, owner, ttlMs })
      const now = nowDate(store)
      const expires = new Date(now.getTime() + ttlMs)
      // Between the refused insert and the read, the holder may release or lapse (by a
      // later clock elsewhere): the name is then likely free, so try again. Each retry
      // needs another caller to change the lock in that gap, so a few always suffice.
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const took = await q.query<Row>(acquireSql(s), [name, owner, expires, now])
        if (took.rows[0]) return { acquired: true, lock: info(took.rows[0]) }
        const held = await holder(name, now, q)
        if (held) return { acquired: false, holder: held }
      }
      throw new ConflictError(`lock ${name} changed hands ${MAX_TRIES} times during one acquire`, {
        name,
      })
    },

    async release(name, owner, q = db) {
      checkLockArgs({ name, owner })
      const { rows } = await q.query(
        `DELETE FROM ${s}.locks WHERE name = $1 AND owner = $2 AND expires_at > $3 RETURNING name`,
        [name, owner, nowDate(store)],
      )
      return rows.length > 0
    },

    async extend(name, owner, ttlMs) {
      checkLockArgs({ name, owner, ttlMs })
      const now = nowDate(store)
      const { rows } = await db.query(
        `UPDATE ${s}.locks SET expires_at = $3
         WHERE name = $1 AND owner = $2 AND expires_at > $4 RETURNING name`,
        [name, owner, new Date(now.getTime() + ttlMs), now],
      )
      return rows.length > 0
    },

    async get(name, tx) {
      checkLockArgs({ name })
      return holder(name, nowDate(store), tx)
    },

    async list() {
      // expired rows are left for the next acquire of their name to overwrite: a list
      // stays a read, and the table holds at most one row per name ever used
      const { rows } = await db.query<Row>(listSql(s), [nowDate(store)])
      return rows.map(info)
    },

    async clear(name) {
      checkLockArgs({ name })
      const { rows } = await db.query<{ live: boolean }>(
        `DELETE FROM ${s}.locks WHERE name = $1 RETURNING expires_at > $2 AS live`,
        [name, nowDate(store)],
      )
      return rows[0]?.live === true
    },

    async close() {},
  }
}
