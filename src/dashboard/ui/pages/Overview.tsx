import { api } from '../api'
import { ActivityChart } from '../components/ActivityChart'
import { bucketsOf } from '../components/charts'
import { ErrorBox } from '../components/ErrorBox'
import { JobCounts, JobNext, JobSchedule } from '../components/JobCells'
import { StateBadge } from '../components/StateBadge'
import { type Column, Table } from '../components/Table'
import { relative } from '../format'
import { usePoll } from '../poll'
import { jobHref, runHref } from '../router'
import type { Activity, Job } from '../types'

function LastRun({ job }: { job: Job }) {
  const last = job.lastRun
  if (!last)
    return (
      <span class="muted" data-testid="job-last-state" data-state="none">
        never ran
      </span>
    )
  return (
    <a class="stack plain" href={runHref(last.id)} title={`run ${last.id}`}>
      <StateBadge state={last.state} testid="job-last-state" />
      <span class="rel">{relative(last.finishedAt)}</span>
    </a>
  )
}

/** Cancelled runs of the last 24 h: only the activity buckets count them. */
const cancelledIn = (a: Activity) =>
  a.jobs.reduce((n, j) => n + j.buckets.reduce((m, b) => m + b.cancelled, 0), 0)

function Totals({ jobs, activity }: { jobs: Job[]; activity: Activity | undefined }) {
  const sum = (f: (j: Job) => number) => jobs.reduce((n, j) => n + f(j), 0)
  const tiles: [string, number, string][] = [
    ['jobs', jobs.length, ''],
    ['waiting', sum((j) => j.backlog.waiting), ''],
    ['delayed', sum((j) => j.backlog.delayed), ''],
    ['active', sum((j) => j.backlog.active), 'c-active'],
    ['completed 24h', sum((j) => j.recent.completed), 'c-completed'],
    ['failed 24h', sum((j) => j.recent.failed), 'c-failed'],
  ]
  if (activity) tiles.push(['cancelled 24h', cancelledIn(activity), ''])
  return (
    <div class="tiles">
      {tiles.map(([label, n, cls]) => (
        <div key={label} class={`tile ${n > 0 ? cls : ''}`}>
          <b>{n}</b>
          <span>{label}</span>
        </div>
      ))}
    </div>
  )
}

// hour-wide buckets: re-adding them up every 2 s for every job would buy nothing visible
const ACTIVITY_POLL_MS = 10_000

/** Every job at a glance, refreshed live (the charts every 10 s). */
export function Overview() {
  const jobs = usePoll(() => api<{ jobs: Job[] }>('api/jobs'), [])
  const activity = usePoll(
    () => api<Activity>('api/activity', { query: { hours: 24, buckets: 24 } }),
    [],
    { every: ACTIVITY_POLL_MS },
  )
  const act = activity.data
  const columns: Column<Job>[] = [
    {
      label: 'Job',
      cell: (j) => (
        <div class="stack">
          <a href={jobHref(j.name)} data-testid="job-link" class="job-name">
            {j.name}
          </a>
          <span class="tags">
            {j.schedule?.paused && (
              <span class="tag tag-paused" data-testid="job-paused">
                paused
              </span>
            )}
            {j.definition?.window && <span class="tag">windowed</span>}
            {!j.definition && <span class="tag">not defined here</span>}
          </span>
        </div>
      ),
    },
    { label: 'Schedule', cell: (j) => <JobSchedule job={j} /> },
    { label: 'Next run', cell: (j) => <JobNext job={j} />, class: 'nowrap' },
    { label: 'Last run', cell: (j) => <LastRun job={j} />, class: 'nowrap' },
    { label: 'Runs', cell: (j) => <JobCounts job={j} /> },
    {
      label: 'Last 24 h',
      class: 'chart-cell',
      cell: (j) =>
        act ? (
          <ActivityChart
            small
            buckets={bucketsOf(act, j.name)}
            bucketMs={act.bucketMs}
            span="last 24 h"
            testid="job-chart"
          />
        ) : (
          <div class="chart-small" data-testid="job-chart" />
        ),
    },
  ]
  return (
    <>
      <div class="page-head">
        <h1>Jobs</h1>
        {jobs.data && <Totals jobs={jobs.data.jobs} activity={act} />}
      </div>
      <ErrorBox error={jobs.error ?? activity.error} />
      {jobs.data ? (
        <section class="panel flush">
          <Table
            columns={columns}
            rows={jobs.data.jobs}
            rowKey={(j) => j.name}
            rowProps={(j) => ({ 'data-testid': 'job-row', 'data-job': j.name })}
            empty="No jobs yet: define one with tw.job() and start tickwork."
          />
        </section>
      ) : (
        !jobs.error && <p class="muted">Loading…</p>
      )}
    </>
  )
}
