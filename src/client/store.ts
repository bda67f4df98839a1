import { SchemaVersionError } from '../errors.js'
import type { LockBackend } from '../lock/lock.js'
import { postgresLocks } from '../lock/postgres.js'
import type { QueueStore } from '../queue/store.js'
import { latestVersion, migrate, schemaVersion } from '../store/migrate.js'
import { openDb } from '../store/open.js'
import { ident } from '../store/schema.js'
import { systemClock } from '../util/clock.js'
import type { ResolvedTickwork } from './resolve.js'

/**
 * Opens the database a Tickwork's options name and brings its schema up to date (or,
 * with `migrating` false, only checks it is not newer than this code). Throws
 * `SchemaVersionError` for a newer schema; the connection is closed on any failure.
 */
export async function openStore(
  o: ResolvedTickwork,
  migrating: boolean,
  onError: (err: Error) => void,
): Promise<QueueStore> {
  const db = await openDb(o.database, { poolSize: o.poolSize, onError })
  try {
    if (migrating) await migrate(db, o.schema)
    else {
      const v = await schemaVersion(db, o.schema)
      if (v > latestVersion()) throw new SchemaVersionError(v, latestVersion())
    }
  } catch (err) {
    await db.close()
    throw err
  }
  return { db, s: ident(o.schema), schema: o.schema, clock: o.clock ?? systemClock }
}

/** The lock backend the `locks` option names: the store's table, or Redis (loaded only then). */
export async function openLocks(
  kind: ResolvedTickwork['locks'],
  store: () => Promise<QueueStore>,
): Promise<LockBackend> {
  if (kind === 'postgres') return postgresLocks(await store())
  const { redisLocks } = await import('../lock/redis.js')
  return redisLocks({ url: kind.redis })
}
