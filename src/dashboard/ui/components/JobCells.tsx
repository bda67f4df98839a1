import { cronWords } from '../format'
import type { Job } from '../types'
import { Time } from './Time'

/** A schedule in words with its time zone, the expression itself underneath. */
function ScheduleText({ cron, timezone }: { cron: string; timezone: string }) {
  return (
    <>
      <span>
        {cronWords(cron) ?? cron} <span class="tz">({timezone})</span>
      </span>
      <code class="cron">{cron}</code>
    </>
  )
}

export function JobSchedule({ job }: { job: Job }) {
  return (
    <div class="stack" data-testid="job-schedule">
      {job.schedule ? (
        <ScheduleText cron={job.schedule.cron} timezone={job.schedule.timezone} />
      ) : (
        <span class="muted">—</span>
      )}
    </div>
  )
}

/** The next fire time; a paused schedule has none until it is resumed. */
export function JobNext({ job }: { job: Job }) {
  const s = job.schedule
  return (
    <div data-testid="job-next">
      {!s ? (
        <span class="muted">—</span>
      ) : s.paused ? (
        <span class="muted">paused</span>
      ) : (
        <Time iso={s.next[0] ?? s.nextAt} />
      )}
    </div>
  )
}

/** Backlog now and outcomes over the last 24 h. */
export function JobCounts({ job }: { job: Job }) {
  const { backlog: b, recent: r } = job
  return (
    <div class="counts" data-testid="job-counts">
      <span class="count" title="waiting">
        <b>{b.waiting}</b> waiting
      </span>
      <span class="count c-delayed" title="delayed">
        <b>{b.delayed}</b> delayed
      </span>
      <span class="count c-active" title="active">
        <b>{b.active}</b> active
      </span>
      <span class="count c-completed" title="completed in the last 24 h">
        <b>{r.completed}</b> completed 24h
      </span>
      <span class={r.failed > 0 ? 'count c-failed' : 'count'} title="failed in the last 24 h">
        <b>{r.failed}</b> failed 24h
      </span>
    </div>
  )
}
