import type { Db } from '../store/db.js'
import type { Clock } from '../util/clock.js'

/**
 * What every queue operation needs: the database, the quoted schema name, and the
 * clock every stored or compared time comes from.
 */
export interface QueueStore {
  db: Db
  /** the schema, quoted once for SQL text */
  s: string
  /** the schema's plain name, for statement and channel names */
  schema: string
  clock: Clock
}

/** The channel a due run is announced on (the payload is the job's name). */
export const runsChannel = (schema: string) => `${schema}_runs`

/** The channel a cancelled active run is announced on (the payload is its id). */
export const cancelChannel = (schema: string) => `${schema}_cancel`

/** The store's time as a Date, for binding as a timestamptz parameter. */
export const nowDate = (store: QueueStore) => new Date(store.clock.now())
