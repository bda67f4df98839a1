import { fileIntoHistory } from './history.js'
import { nowDate, type QueueStore } from './store.js'

/** A finished handler's outcome, waiting to be written. */
export interface Completion {
  id: string
  attempt: number
  /** the result as JSON text, or null */
  result: string | null
  /** false for a job kept with `completed: false`: the row is deleted, not filed */
  keep: boolean
}

// Many completions in one statement: the rows leave the live table and enter the
// history together. A row is ours only while this worker holds this attempt: a run
// cancelled, or taken again after our lease lapsed, is left alone.
const completeSql = (s: string) => `
  WITH done AS (
    DELETE FROM ${s}.runs r
    USING unnest($1::bigint[], $2::int[], $3::jsonb[], $6::bool[]) AS c(id, attempt, result, keep)
    WHERE r.id = c.id AND r.attempt = c.attempt AND r.worker = $4 AND r.state = 'active'
    RETURNING r.*, c.result, c.keep
  ), filed AS (
    ${fileIntoHistory(s, { state: "'completed'", result: 'result', finishedAt: '$5' })}
    WHERE keep
    RETURNING id
  )
  SELECT id::text FROM done`

/** Writes completions; returns the ids that were still this worker's to complete. */
export async function completeRuns(
  store: QueueStore,
  worker: string,
  done: Completion[],
): Promise<Set<string>> {
  const { rows } = await store.db.relaxed<{ id: string }>(
    `tw_complete_${store.schema}`,
    completeSql(store.s),
    [
      done.map((d) => d.id),
      done.map((d) => d.attempt),
      done.map((d) => d.result),
      worker,
      nowDate(store),
      done.map((d) => d.keep),
    ],
  )
  return new Set(rows.map((r) => r.id))
}
