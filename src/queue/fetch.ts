import { nowDate, type QueueStore } from './store.js'
import type { Backoff, RunSource } from './types.js'

/** A run this worker has taken: what the handler and the failure path need. */
export interface ActiveRun {
  id: string
  job: string
  payload: unknown
  attempt: number
  maxAttempts: number
  backoff: Backoff
  timeoutMs: number | null
  deadLetter: string | null
  key: string | null
  priority: number
  source: RunSource
  createdAt: Date
  runAt: Date
  tick: Date | null
  window: { from: Date; to: Date } | null
  backfill: string | null
}

/** How many runs of which job a fetch may take. */
export interface Want {
  job: string
  n: number
}

// Per job, the best runs by priority then age, each job with its own limit (the
// free slots this process has for it), in one statement for all jobs. SKIP LOCKED
// lets any number of workers fetch at once without waiting on each other's rows.
const fetchSql = (s: string) => `
  WITH picked AS (
    SELECT p.id
    FROM unnest($1::text[], $2::int[]) AS w(job, n)
    CROSS JOIN LATERAL (
      SELECT id FROM ${s}.runs
      WHERE job = w.job AND state = 'waiting' AND run_at <= $3
      ORDER BY priority DESC, run_at, id
      LIMIT w.n
      FOR UPDATE SKIP LOCKED
    ) p
  )
  UPDATE ${s}.runs r
  SET state = 'active', attempt = r.attempt + 1, worker = $4, started_at = $3,
      lease_until = $3 + $5 * interval '1 millisecond'
  FROM picked WHERE r.id = picked.id
  RETURNING ${claimed}`

/** The columns of a taken run, as `toActive` reads them (ids as text, on every driver). */
export const claimed = `r.id::text, r.job, r.payload, r.attempt, r.max_attempts, r.backoff, r.timeout_ms,
  r.dead_letter, r.key, r.priority, r.source, r.created_at, r.run_at,
  r.tick, r.window_from, r.window_to, r.backfill::text`

// A fetch that took the run first has made it active: the state check, re-read once
// the row lock is granted, then matches nothing.
const claimSql = (s: string) => `
  UPDATE ${s}.runs r
  SET state = 'active', attempt = r.attempt + 1, worker = $2, started_at = $3,
      lease_until = $3::timestamptz + $4 * interval '1 millisecond'
  WHERE r.id = $1 AND r.state = 'waiting'
  RETURNING ${claimed}`

/** A live run's row, as the statements that take or end one return it. */
export interface FetchRow {
  id: string
  job: string
  payload: unknown
  attempt: number
  max_attempts: number
  backoff: Backoff
  timeout_ms: number | null
  dead_letter: string | null
  key: string | null
  priority: number
  source: RunSource
  created_at: Date
  run_at: Date
  tick: Date | null
  window_from: Date | null
  window_to: Date | null
  backfill: string | null
}

/** The run a row describes. */
export const toActive = (r: FetchRow): ActiveRun => ({
  id: r.id,
  job: r.job,
  payload: r.payload,
  attempt: r.attempt,
  maxAttempts: r.max_attempts,
  backoff: r.backoff,
  timeoutMs: r.timeout_ms,
  deadLetter: r.dead_letter,
  key: r.key,
  priority: r.priority,
  source: r.source,
  createdAt: r.created_at,
  runAt: r.run_at,
  tick: r.tick,
  window: r.window_from && r.window_to ? { from: r.window_from, to: r.window_to } : null,
  backfill: r.backfill,
})

/**
 * Takes up to `want[i].n` due runs of each job, marks them active for `worker`, with a
 * lease of `leaseMs`, counting the attempt. `q` defaults to the pool; the limited
 * fetch passes its transaction.
 */
export async function fetchRuns(
  store: QueueStore,
  want: Want[],
  worker: string,
  leaseMs: number,
  q?: { query: QueueStore['db']['query'] },
): Promise<ActiveRun[]> {
  const params = [want.map((w) => w.job), want.map((w) => w.n), nowDate(store), worker, leaseMs]
  const { rows } = q
    ? await q.query<FetchRow>(fetchSql(store.s), params)
    : await store.db.relaxed<FetchRow>(`tw_fetch_${store.schema}`, fetchSql(store.s), params)
  return rows.map(toActive)
}

/**
 * Takes one waiting run by id for `worker`, due or not, counting the attempt: a
 * trigger that runs its run inline. Undefined when it is not waiting (another worker
 * took it, or it ended).
 */
export async function claimRun(
  store: QueueStore,
  id: string,
  worker: string,
  leaseMs: number,
  q: { query: QueueStore['db']['query'] } = store.db,
): Promise<ActiveRun | undefined> {
  const { rows } = await q.query<FetchRow>(claimSql(store.s), [id, worker, nowDate(store), leaseMs])
  return rows[0] && toActive(rows[0])
}

/** The job of a live run; undefined when the run is not live. */
export async function jobOf(store: QueueStore, id: string): Promise<string | undefined> {
  const { rows } = await store.db.query<{ job: string }>(
    `SELECT job FROM ${store.s}.runs WHERE id = $1`,
    [id],
  )
  return rows[0]?.job
}
