/**
 * The INSERT that files rows deleted from the live table (the CTE `done`) into the
 * history. Every path that ends a run (complete, fail, cancel, sweep) goes through it,
 * so the column list is written once.
 */
export function fileIntoHistory(
  s: string,
  expr: { state: string; result?: string; errors?: string; finishedAt: string },
): string {
  return `
  INSERT INTO ${s}.run_history (id, job, payload, state, priority, run_at, key, source, attempt,
    max_attempts, backoff, timeout_ms, dead_letter, progress, errors, result, created_at,
    started_at, finished_at, tick, window_from, window_to, window_end, backfill)
  SELECT id, job, payload, ${expr.state}, priority, run_at, key, source, attempt, max_attempts,
    backoff, timeout_ms, dead_letter, progress, ${expr.errors ?? 'errors'}, ${expr.result ?? 'NULL'},
    created_at, started_at, ${expr.finishedAt}, tick, window_from, window_to, window_end, backfill
  FROM done`
}
