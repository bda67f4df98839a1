import type { Tx } from '../store/db.js'
import { fileIntoHistory } from './history.js'
import { nowDate, type QueueStore, runsChannel } from './store.js'

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
//
// A windowed run moves its job's watermark from its window's start to its end in the
// same statement, only if the watermark is still at the start (an operator may have
// moved it meanwhile): a watermark advances once per window, never past a gap. When
// the run was the first window of a longer gap, the next window is enqueued here too,
// so the windows of a gap run one at a time, oldest first. Backfill windows leave the
// watermark alone, and chain only while their backfill runs.
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
  ), moved AS (
    UPDATE ${s}.watermarks w SET value = d.window_to, updated_at = $5
    FROM done d
    WHERE d.window_to IS NOT NULL AND d.backfill IS NULL AND w.job = d.job
      AND w.value = d.window_from
    RETURNING d.id
  ), chained AS (
    INSERT INTO ${s}.runs (job, payload, run_at, priority, source, max_attempts, backoff,
      timeout_ms, dead_letter, created_at, tick, window_from, window_to, window_end, backfill)
    SELECT job, payload, $5, priority, source, max_attempts, backoff, timeout_ms, dead_letter,
      $5, tick, window_to, LEAST(window_end, window_to + (window_to - window_from)),
      window_end, backfill
    FROM done
    WHERE window_end > window_to AND CASE
      WHEN backfill IS NULL THEN id IN (SELECT id FROM moved)
      -- shares the lock a cancel takes, so a chain never outlives its cancelled backfill
      ELSE EXISTS (SELECT 1 FROM ${s}.backfills b WHERE b.id = backfill AND b.state = 'running'
                   FOR SHARE)
    END
    RETURNING job
  )
  SELECT id::text, (SELECT count(*) FROM (SELECT pg_notify($7, job) FROM chained) n) AS n
  FROM done`

const completeParams = (store: QueueStore, worker: string, done: Completion[]) => [
  done.map((d) => d.id),
  done.map((d) => d.attempt),
  done.map((d) => d.result),
  worker,
  nowDate(store),
  done.map((d) => d.keep),
  runsChannel(store.schema),
]

/** Writes completions; returns the ids that were still this worker's to complete. */
export async function completeRuns(
  store: QueueStore,
  worker: string,
  done: Completion[],
): Promise<Set<string>> {
  const { rows } = await store.db.relaxed<{ id: string }>(
    `tw_complete_${store.schema}`,
    completeSql(store.s),
    completeParams(store, worker, done),
  )
  return new Set(rows.map((r) => r.id))
}

/**
 * Writes one completion in `tx`, for a job whose `onCompleted` writes in the same
 * transaction (committed durably, as the hook's writes are the user's). False when the
 * run was no longer this worker's to complete.
 */
export async function completeRunIn(
  store: QueueStore,
  tx: Tx,
  worker: string,
  done: Completion,
): Promise<boolean> {
  const { rows } = await tx.query(completeSql(store.s), completeParams(store, worker, [done]))
  return rows.length > 0
}
