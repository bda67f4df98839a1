import { ConflictError, NotFoundError } from '../errors.js'
import type { Queryable } from '../store/db.js'
import { fileIntoHistory } from './history.js'
import { cancelChannel, nowDate, type QueueStore } from './store.js'

// the workers running the active ones are told, so their handlers abort
const cancelSql = (s: string) => `
  WITH done AS (
    DELETE FROM ${s}.runs WHERE id = ANY($1::bigint[]) RETURNING *
  ), filed AS (
    ${fileIntoHistory(s, { state: "'cancelled'", finishedAt: '$2' })}
  )
  SELECT id::text, CASE WHEN state = 'active' THEN pg_notify($3, id::text) END AS n FROM done`

/** Cancels the live runs among `ids` through `q`; returns the ids it cancelled. */
export async function cancelRuns(
  store: QueueStore,
  q: Queryable,
  ids: string[],
): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(cancelSql(store.s), [
    ids,
    nowDate(store),
    cancelChannel(store.schema),
  ])
  return rows.map((r) => r.id)
}

/**
 * Cancels a waiting, delayed or active run: it is filed as cancelled at once, and the
 * worker running it (if any) is told to abort its handler. Throws `NotFoundError` for
 * an unknown id, `ConflictError` for a run already finished.
 */
export async function cancelRun(store: QueueStore, id: string): Promise<void> {
  if ((await cancelRuns(store, store.db, [id])).length > 0) return
  const { rows: past } = await store.db.query<{ state: string }>(
    `SELECT state FROM ${store.s}.run_history WHERE id = $1`,
    [id],
  )
  if (past[0])
    throw new ConflictError(`run ${id} is already ${past[0].state}`, { id, state: past[0].state })
  throw new NotFoundError(`run ${id} not found`, { id })
}
