import type { QueueStore } from '../queue/store.js'
import { distinctJobs } from '../store/distinct.js'

/** How long finished runs of one state are kept: by age, by count, or both. */
export interface KeepRule {
  ageMs: number | null
  count: number | null
}

/** Retention of one job's finished runs. */
export interface Retention {
  completed: KeepRule
  failed: KeepRule
  cancelled: KeepRule
}

// Small batches, so the sweep never holds many row locks or a long transaction
// against the workers filing runs into the same table.
const BATCH = 1000

const byAgeSql = (s: string) => `
  DELETE FROM ${s}.run_history WHERE id IN (
    SELECT id FROM ${s}.run_history
    WHERE job = $1 AND state = $2 AND finished_at < $3
    LIMIT $4)
  RETURNING 1`

const byCountSql = (s: string) => `
  DELETE FROM ${s}.run_history WHERE id IN (
    SELECT id FROM ${s}.run_history
    WHERE job = $1 AND state = $2
    ORDER BY finished_at DESC OFFSET $3 LIMIT $4)
  RETURNING 1`

async function drain(run: () => Promise<number>): Promise<number> {
  let total = 0
  for (;;) {
    const n = await run()
    total += n
    if (n < BATCH) return total
  }
}

/**
 * Deletes finished runs beyond each job's retention. Jobs in the history that this
 * process does not define (defined by other processes, or gone from the code) get
 * `fallback`. Returns how many runs it deleted.
 */
export async function sweepRetention(
  store: QueueStore,
  jobs: Map<string, Retention>,
  fallback: Retention,
): Promise<number> {
  const now = store.clock.now()
  const del = async (sql: string, params: unknown[]) =>
    drain(async () => (await store.db.query(sql, [...params, BATCH])).rows.length)
  let total = 0
  for (const job of await distinctJobs(store.db, store.s, 'run_history')) {
    const keep = jobs.get(job) ?? fallback
    for (const state of ['completed', 'failed', 'cancelled'] as const) {
      const rule = keep[state]
      if (rule.ageMs !== null)
        total += await del(byAgeSql(store.s), [job, state, new Date(now - rule.ageMs)])
      if (rule.count !== null) total += await del(byCountSql(store.s), [job, state, rule.count])
    }
  }
  return total
}
