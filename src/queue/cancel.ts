import { ConflictError, NotFoundError } from '../errors.js'
import { fileIntoHistory } from './history.js'
import { cancelChannel, nowDate, type QueueStore } from './store.js'

const cancelSql = (s: string) => `
  WITH done AS (
    DELETE FROM ${s}.runs WHERE id = $1 RETURNING *
  ), filed AS (
    ${fileIntoHistory(s, { state: "'cancelled'", finishedAt: '$2' })}
  )
  SELECT state, (SELECT pg_notify($3, $1::text) FROM done WHERE state = 'active') AS n FROM done`

/**
 * Cancels a waiting, delayed or active run: it is filed as cancelled at once, and the
 * worker running it (if any) is told to abort its handler. Throws `NotFoundError` for
 * an unknown id, `ConflictError` for a run already finished.
 */
export async function cancelRun(store: QueueStore, id: string): Promise<void> {
  const { rows } = await store.db.query(cancelSql(store.s), [
    id,
    nowDate(store),
    cancelChannel(store.schema),
  ])
  if (rows.length > 0) return
  const { rows: past } = await store.db.query<{ state: string }>(
    `SELECT state FROM ${store.s}.run_history WHERE id = $1`,
    [id],
  )
  if (past[0])
    throw new ConflictError(`run ${id} is already ${past[0].state}`, { id, state: past[0].state })
  throw new NotFoundError(`run ${id} not found`, { id })
}
