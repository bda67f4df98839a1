import type { Tx } from '../store/db.js'
import { type ActiveRun, fetchRuns } from './fetch.js'
import type { QueueStore } from './store.js'

/** A job's limits shared by every process. */
export interface SharedLimits {
  /** at most this many active runs across all processes */
  concurrency: number | null
  /** at most `max` starts per `perMs` across all processes (a fixed window) */
  rate: { max: number; perMs: number } | null
}

const upsertSql = (s: string) => `
  INSERT INTO ${s}.queues (job, concurrency, rate_max, rate_per_ms)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT (job) DO UPDATE
  SET concurrency = EXCLUDED.concurrency, rate_max = EXCLUDED.rate_max,
      rate_per_ms = EXCLUDED.rate_per_ms`

/** Records a job's shared limits, as this process's code declares them. */
export async function saveLimits(store: QueueStore, job: string, limits: SharedLimits) {
  await store.db.query(upsertSql(store.s), [
    job,
    limits.concurrency,
    limits.rate?.max ?? null,
    limits.rate?.perMs ?? null,
  ])
}

/**
 * Records which jobs this process defines with an `onFailed` hook (and which without),
 * so a sweep in a process that does not define a job knows to leave its last attempts
 * to one that does. Leaves the limit columns to `saveLimits`.
 */
export async function saveHookFlags(store: QueueStore, hooked: string[], plain: string[]) {
  if (hooked.length > 0)
    await store.db.query(
      `INSERT INTO ${store.s}.queues (job, on_failed) SELECT unnest($1::text[]), true
       ON CONFLICT (job) DO UPDATE SET on_failed = true`,
      [hooked],
    )
  if (plain.length > 0)
    await store.db.query(
      `UPDATE ${store.s}.queues SET on_failed = false WHERE job = ANY($1::text[]) AND on_failed`,
      [plain],
    )
}

interface QueueRow {
  concurrency: number | null
  rate_max: number | null
  rate_per_ms: number | null
  window_start: Date
  window_count: number
}

/** Runs taken; when the limits said no, and when asking again may be worth it. */
export interface LimitedFetch {
  runs: ActiveRun[]
  /** the job's limits allowed none now */
  refused: boolean
  retryAt: number | null
}

/**
 * Fetches runs of a job that has shared limits. The job's row is locked first, so
 * processes take turns; the active count and the window are then read in a fresh
 * statement, which under READ COMMITTED sees every turn committed before ours.
 */
export function fetchLimited(
  store: QueueStore,
  job: string,
  n: number,
  worker: string,
  leaseMs: number,
): Promise<LimitedFetch> {
  return withLimits(store, job, n, (tx, allowed) =>
    fetchRuns(store, [{ job, n: allowed }], worker, leaseMs, tx),
  )
}

/**
 * Takes up to `n` runs of `job` with `take`, within the job's shared limits: at most
 * what they allow now, in the transaction that holds the job's row, counted in its
 * rate window.
 */
export async function withLimits(
  store: QueueStore,
  job: string,
  n: number,
  take: (tx: Tx, allowed: number) => Promise<ActiveRun[]>,
): Promise<LimitedFetch> {
  const s = store.s
  return store.db.transaction(async (tx) => {
    const { rows } = await tx.query<QueueRow>(
      `SELECT concurrency, rate_max, rate_per_ms, window_start, window_count
       FROM ${s}.queues WHERE job = $1 FOR UPDATE`,
      [job],
    )
    const q = rows[0]
    if (!q) return { runs: await take(tx, n), refused: false, retryAt: null }
    let allowed = n
    if (q.concurrency !== null) {
      const active = await tx.query<{ c: number }>(
        `SELECT count(*)::int AS c FROM ${s}.runs WHERE job = $1 AND state = 'active'`,
        [job],
      )
      allowed = Math.min(allowed, q.concurrency - (active.rows[0]?.c ?? 0))
    }
    const now = store.clock.now()
    let windowStart = q.window_start.getTime()
    let windowCount = q.window_count
    if (q.rate_max !== null && q.rate_per_ms !== null) {
      if (now >= windowStart + q.rate_per_ms) {
        windowStart = now
        windowCount = 0
      }
      const left = q.rate_max - windowCount
      if (left <= 0) return { runs: [], refused: true, retryAt: windowStart + q.rate_per_ms }
      allowed = Math.min(allowed, left)
    }
    if (allowed <= 0) return { runs: [], refused: true, retryAt: null }
    const runs = await take(tx, allowed)
    if (q.rate_max !== null && runs.length > 0) {
      await tx.query(`UPDATE ${s}.queues SET window_start = $2, window_count = $3 WHERE job = $1`, [
        job,
        new Date(windowStart),
        windowCount + runs.length,
      ])
    }
    return { runs, refused: false, retryAt: null }
  })
}
