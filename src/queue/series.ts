import type { QueueStore } from './store.js'

/** Finished runs of one job in one time bucket. */
export interface ActivityBucket {
  /** the bucket's start */
  at: Date
  completed: number
  failed: number
  cancelled: number
  /** mean and longest run time of the completed runs, start to finish; null when none */
  meanMs: number | null
  maxMs: number | null
}

/** A job's finished runs over a period, in equal contiguous buckets. */
export interface ActivitySeries {
  job: string
  buckets: ActivityBucket[]
}

// One range scan of run_history_job_state (job, state, finished_at) per job and state:
// the cost follows the runs of the period, not the size of the history.
const seriesSql = (s: string) => `
  SELECT j.job, st.state, b.bucket, b.n, b.mean_ms, b.max_ms
  FROM unnest($1::text[]) AS j(job)
  CROSS JOIN unnest(ARRAY['completed', 'failed', 'cancelled']) AS st(state)
  CROSS JOIN LATERAL (
    SELECT floor(extract(epoch FROM finished_at - $2::timestamptz) * 1000 / $4)::int AS bucket,
           count(*)::int AS n,
           avg(extract(epoch FROM finished_at - started_at) * 1000)::float8 AS mean_ms,
           max(extract(epoch FROM finished_at - started_at) * 1000)::float8 AS max_ms
    FROM ${s}.run_history
    WHERE job = j.job AND state = st.state AND finished_at >= $2 AND finished_at < $3
    GROUP BY 1
  ) b`

/**
 * Finished runs per job in `count` buckets of `bucketMs` ending at `to`, zeros filled,
 * for the charts of the dashboard.
 */
export async function activitySeries(
  store: QueueStore,
  jobs: string[],
  range: { to: Date; bucketMs: number; count: number },
): Promise<ActivitySeries[]> {
  const from = new Date(range.to.getTime() - range.bucketMs * range.count)
  const { rows } = await store.db.query<{
    job: string
    state: 'completed' | 'failed' | 'cancelled'
    bucket: number
    n: number
    mean_ms: number | null
    max_ms: number | null
  }>(seriesSql(store.s), [jobs, from, range.to, range.bucketMs])
  const series = new Map<string, ActivityBucket[]>()
  for (const job of jobs) {
    const buckets = Array.from({ length: range.count }, (_, i) => ({
      at: new Date(from.getTime() + i * range.bucketMs),
      completed: 0,
      failed: 0,
      cancelled: 0,
      meanMs: null,
      maxMs: null,
    }))
    series.set(job, buckets)
  }
  for (const r of rows) {
    const b = series.get(r.job)?.[r.bucket]
    if (!b) continue
    b[r.state] = r.n
    if (r.state === 'completed') {
      b.meanMs = r.mean_ms
      b.maxMs = r.max_ms
    }
  }
  return jobs.map((job) => ({ job, buckets: series.get(job) ?? [] }))
}
