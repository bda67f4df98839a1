import type { QueueStore } from '../queue/store.js'
import type { RunSource } from '../queue/types.js'

/** One item's outcome as the item log keeps it. */
export interface ItemOutcome {
  key: string
  ok: boolean
  error: { name: string; message: string } | null
}

/**
 * What a run's items are done for: its window, else the schedule's tick it answers (by
 * the schedule or a backfill), else the run itself. A run retried over the same scope
 * skips the items that succeeded in it. A triggered run's tick is only the time it was
 * triggered: two triggers at one instant, or one at a tick's own time, are not the same
 * work, so each has its own scope.
 */
export function itemScope(run: {
  id: string
  source: RunSource
  tick: Date | null
  window: { from: Date; to: Date } | null
}): string {
  if (run.window) return `window:${run.window.from.toISOString()}/${run.window.to.toISOString()}`
  if (run.tick && (run.source === 'schedule' || run.source === 'backfill'))
    return `tick:${run.tick.toISOString()}`
  return `run:${run.id}`
}

/** The keys among `keys` already done successfully for this job and scope. */
export async function succeededKeys(
  store: QueueStore,
  job: string,
  scope: string,
  keys: string[],
): Promise<Set<string>> {
  const { rows } = await store.db.query<{ key: string }>(
    `SELECT key FROM ${store.s}.items WHERE job = $1 AND scope = $2 AND key = ANY($3::text[]) AND ok`,
    [job, scope, keys],
  )
  return new Set(rows.map((r) => r.key))
}

// one statement per batch; a later outcome of the same item replaces the earlier
const recordSql = (s: string) => `
  INSERT INTO ${s}.items (job, scope, key, run_id, attempt, ok, error, at)
  SELECT $1, $2, o.key, $3, $4, o.ok, o.error, $5
  FROM unnest($6::text[], $7::bool[], $8::jsonb[]) AS o(key, ok, error)
  ON CONFLICT (job, scope, key) DO UPDATE SET run_id = EXCLUDED.run_id,
    attempt = EXCLUDED.attempt, ok = EXCLUDED.ok, error = EXCLUDED.error, at = EXCLUDED.at`

/** Records a batch's outcomes (each key once) for a run's attempt. */
export async function recordItems(
  store: QueueStore,
  run: { job: string; id: string; attempt: number },
  scope: string,
  outcomes: ItemOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return
  await store.db.query(recordSql(store.s), [
    run.job,
    scope,
    run.id,
    run.attempt,
    new Date(store.clock.now()),
    outcomes.map((o) => o.key),
    outcomes.map((o) => o.ok),
    outcomes.map((o) => (o.error ? JSON.stringify(o.error) : null)),
  ])
}
