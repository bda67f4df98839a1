import { nowDate, type QueueStore } from './store.js'
import type { Backoff, RunSource } from './types.js'

// By id and attempt: an answer about an attempt that has ended says nothing of the next
// attempt of the same run, which this worker may have taken meanwhile.
const renewSql = (s: string) => `
  UPDATE ${s}.runs r SET lease_until = $3::timestamptz + $4 * interval '1 millisecond'
  FROM unnest($1::bigint[], $5::int[]) AS h(id, attempt)
  WHERE r.id = h.id AND r.attempt = h.attempt AND r.worker = $2 AND r.state = 'active'
  RETURNING r.id::text || ':' || r.attempt AS held`

/**
 * Extends the leases of the attempts this worker holds (`[id, attempt]`). Returns those
 * it still holds, as `id:attempt`: one missing was cancelled, taken by another worker
 * after the lease lapsed, or has ended.
 */
export async function renewLeases(
  store: QueueStore,
  worker: string,
  held: Array<[string, number]>,
  leaseMs: number,
): Promise<Set<string>> {
  const { rows } = await store.db.relaxed<{ held: string }>(
    `tw_renew_${store.schema}`,
    renewSql(store.s),
    [held.map(([id]) => id), worker, nowDate(store), leaseMs, held.map(([, a]) => a)],
  )
  return new Set(rows.map((r) => r.held))
}

// The attempt is handed back uncounted: the run did not fail, its worker stopped.
const releaseSql = (s: string) => `
  UPDATE ${s}.runs
  SET state = 'waiting', attempt = attempt - 1, worker = NULL, lease_until = NULL,
      started_at = NULL
  WHERE id = ANY($1::bigint[]) AND worker = $2 AND state = 'active'
  RETURNING id::text`

/** Hands runs this worker holds back to the queue, at once, for any worker to take. */
export async function releaseRuns(store: QueueStore, worker: string, ids: string[]) {
  if (ids.length === 0) return 0
  const { rows } = await store.db.query(releaseSql(store.s), [ids, worker])
  return rows.length
}

const expiredSql = (s: string) => `
  SELECT r.id::text, r.job, r.attempt, r.max_attempts, r.dead_letter, r.backoff, r.source,
    r.started_at
  FROM ${s}.runs r LEFT JOIN ${s}.queues q ON q.job = r.job
  WHERE r.state = 'active' AND r.lease_until < $1
    -- a last attempt whose failure runs an onFailed this process lacks: left to one that has it
    AND NOT (COALESCE(q.on_failed, false) AND r.attempt >= r.max_attempts
             AND r.job <> ALL($3::text[]))
  ORDER BY r.lease_until LIMIT $2`

/** An active run whose worker stopped renewing its lease. */
export interface StalledRun {
  id: string
  job: string
  attempt: number
  maxAttempts: number
  deadLetter: string | null
  backoff: Backoff
  source: RunSource
  startedAt: Date | null
}

/**
 * Active runs whose lease has lapsed: their process died or hung. `defined` are the jobs
 * this process defines: the last attempt of a job defined elsewhere with `onFailed` is
 * not this process's to fail.
 */
export async function findStalled(
  store: QueueStore,
  limit: number,
  defined: string[],
): Promise<StalledRun[]> {
  const { rows } = await store.db.query<{
    id: string
    job: string
    attempt: number
    max_attempts: number
    dead_letter: string | null
    backoff: Backoff
    source: RunSource
    started_at: Date | null
  }>(expiredSql(store.s), [nowDate(store), limit, defined])
  return rows.map((r) => ({
    id: r.id,
    job: r.job,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    deadLetter: r.dead_letter,
    backoff: r.backoff,
    source: r.source,
    startedAt: r.started_at,
  }))
}
