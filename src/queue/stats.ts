import { distinctJobs } from '../store/distinct.js'
import { nowDate, type QueueStore } from './store.js'
import type { RunState } from './types.js'

/** A job's live runs: what waits, what is scheduled later, what runs. */
export interface Backlog {
  job: string
  waiting: number
  delayed: number
  active: number
  /** when the oldest due waiting run became due; null when none waits */
  oldestWaitingAt: Date | null
}

// The live table holds only the backlog, so a grouped scan of it stays cheap whatever
// the history: this is what a metrics scrape runs.
const backlogSql = (s: string) => `
  SELECT job,
    count(*) FILTER (WHERE state = 'waiting' AND run_at <= $1)::int AS waiting,
    count(*) FILTER (WHERE state = 'waiting' AND run_at > $1)::int AS delayed,
    count(*) FILTER (WHERE state = 'active')::int AS active,
    min(run_at) FILTER (WHERE state = 'waiting' AND run_at <= $1) AS oldest
  FROM ${s}.runs GROUP BY job ORDER BY job`

/** Live runs per job, for every job that has any. */
export async function backlog(store: QueueStore): Promise<Backlog[]> {
  const { rows } = await store.db.query<{
    job: string
    waiting: number
    delayed: number
    active: number
    oldest: Date | null
  }>(backlogSql(store.s), [nowDate(store)])
  return rows.map((r) => ({
    job: r.job,
    waiting: r.waiting,
    delayed: r.delayed,
    active: r.active,
    oldestWaitingAt: r.oldest,
  }))
}

/** How a job fared over a recent period. */
export interface JobActivity {
  job: string
  completed: number
  failed: number
  /** completed / (completed + failed); null when none finished */
  successRate: number | null
  /** mean run time of the completed runs, start to finish; null when none */
  meanDurationMs: number | null
  /** the job's most recently finished run */
  lastRun: { id: string; state: RunState; finishedAt: Date } | null
}

// Each probe walks run_history_job_state (job, state, finished_at) for one job and
// state, so the cost follows the runs of the period asked for, not the whole history.
const activitySql = (s: string) => `
  SELECT j.job, c.n AS completed, c.mean_ms, f.n AS failed, l.id, l.state, l.finished_at
  FROM unnest($1::text[]) AS j(job)
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS n,
           avg(extract(epoch FROM finished_at - started_at) * 1000)::float8 AS mean_ms
    FROM ${s}.run_history WHERE job = j.job AND state = 'completed' AND finished_at >= $2
  ) c
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS n FROM ${s}.run_history
    WHERE job = j.job AND state = 'failed' AND finished_at >= $2
  ) f
  LEFT JOIN LATERAL (
    SELECT * FROM (
      SELECT * FROM (SELECT id::text, state, finished_at FROM ${s}.run_history
        WHERE job = j.job AND state = 'completed' ORDER BY finished_at DESC LIMIT 1) a
      UNION ALL
      SELECT * FROM (SELECT id::text, state, finished_at FROM ${s}.run_history
        WHERE job = j.job AND state = 'failed' ORDER BY finished_at DESC LIMIT 1) b
      UNION ALL
      SELECT * FROM (SELECT id::text, state, finished_at FROM ${s}.run_history
        WHERE job = j.job AND state = 'cancelled' ORDER BY finished_at DESC LIMIT 1) c
    ) last ORDER BY finished_at DESC LIMIT 1
  ) l ON true
  ORDER BY j.job`

/** Completions, failures, success rate and mean duration since `since`, per job. */
export async function activity(
  store: QueueStore,
  jobs: string[],
  since: Date,
): Promise<JobActivity[]> {
  const { rows } = await store.db.query<{
    job: string
    completed: number
    failed: number
    mean_ms: number | null
    id: string | null
    state: RunState | null
    finished_at: Date | null
  }>(activitySql(store.s), [jobs, since])
  return rows.map((r) => ({
    job: r.job,
    completed: r.completed,
    failed: r.failed,
    successRate: r.completed + r.failed > 0 ? r.completed / (r.completed + r.failed) : null,
    meanDurationMs: r.mean_ms,
    lastRun:
      r.id && r.state && r.finished_at
        ? { id: r.id, state: r.state, finishedAt: r.finished_at }
        : null,
  }))
}

/** Every job the database knows of: with runs live or kept, or with a schedule. */
export async function knownJobs(store: QueueStore): Promise<string[]> {
  const [live, history, scheduled] = await Promise.all([
    distinctJobs(store.db, store.s, 'runs'),
    distinctJobs(store.db, store.s, 'run_history'),
    distinctJobs(store.db, store.s, 'schedules'),
  ])
  return [...new Set([...live, ...history, ...scheduled])].sort()
}
