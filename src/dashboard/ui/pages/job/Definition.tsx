import type { ComponentChildren } from 'preact'
import { JobSchedule } from '../../components/JobCells'
import { JsonView } from '../../components/JsonView'
import { Time } from '../../components/Time'
import { duration, utc } from '../../format'
import { jobHref } from '../../router'
import type { Definition, Job, KeepRule } from '../../types'

type Row = [string, ComponentChildren]

function Pairs({ rows }: { rows: Row[] }) {
  return (
    <dl class="pairs">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

function rule(r: KeepRule | false): string {
  if (r === false) return 'none'
  const parts = [
    ...(r.ageMs !== null ? [duration(r.ageMs)] : []),
    ...(r.count !== null ? [`newest ${r.count}`] : []),
  ]
  return parts.length > 0 ? parts.join(', ') : 'forever'
}

function options(d: Definition): Row[] {
  const b = d.backoff
  const rows: Row[] = [
    ['Priority', d.priority ?? 0],
    ['Attempts', d.attempts ?? '—'],
    [
      'Backoff',
      b
        ? `${b.type} from ${duration(b.delayMs)}, at most ${duration(b.maxDelayMs)}${b.jitter ? `, jitter ${b.jitter}` : ''}`
        : '—',
    ],
    ['Timeout', d.timeoutMs ? duration(d.timeoutMs) : 'none'],
    [
      'Concurrency',
      `${d.concurrency ?? 1} per process${d.prefetch ? `, ${d.prefetch} fetched ahead` : ''}`,
    ],
    ['Global concurrency', d.globalConcurrency ?? 'none'],
    ['Rate limit', d.rateLimit ? `${d.rateLimit.max} per ${duration(d.rateLimit.perMs)}` : 'none'],
    ['Dead letter', d.deadLetter ? <a href={jobHref(d.deadLetter)}>{d.deadLetter}</a> : 'none'],
  ]
  if (d.keep)
    rows.push([
      'Keeps',
      `completed ${rule(d.keep.completed)}; failed ${rule(d.keep.failed)}; cancelled ${rule(d.keep.cancelled)}`,
    ])
  if (d.window)
    rows.push([
      'Window',
      `lookback ${duration(d.window.lookbackMs)}, ${
        d.window.maxSpanMs
          ? `windows of at most ${duration(d.window.maxSpanMs)}`
          : 'no maximum span'
      }`,
    ])
  if (d.schedule)
    rows.push(['Schedule policy', `overlap ${d.schedule.overlap}, catch-up ${d.schedule.catchUp}`])
  return rows
}

/** What the job is: its options, schedule, watermark, backlog and the last 24 hours. */
export function JobSummary({ job }: { job: Job }) {
  const d = job.definition
  const s = job.schedule
  const windowed = Boolean(d?.window) || job.watermark !== null
  const r = job.recent
  return (
    <div class="grid-2">
      <section class="panel">
        <h2>Definition</h2>
        {d ? <Pairs rows={options(d)} /> : <p class="muted">Not defined by this server.</p>}
        {d?.payloadSchema ? (
          <details>
            <summary>Payload schema</summary>
            <JsonView value={d.payloadSchema} />
          </details>
        ) : null}
      </section>
      <section class="panel">
        <h2>Schedule</h2>
        <JobSchedule job={job} />
        {s && (
          <>
            <p class="muted small">
              {s.paused ? 'Paused. ' : ''}
              {s.declared ? 'As declared in code' : 'Changed at runtime'}, updated{' '}
              {utc(s.updatedAt)}
            </p>
            {!s.paused && (
              <ol class="times">
                {s.next.map((t) => (
                  <li key={t}>
                    <Time iso={t} inline />
                  </li>
                ))}
              </ol>
            )}
          </>
        )}
        {windowed && (
          <p>
            Watermark:{' '}
            <span data-testid="job-watermark" class="mono">
              {job.watermark ? utc(job.watermark) : 'not started'}
            </span>
          </p>
        )}
        <h2>Now and last 24 h</h2>
        <Pairs
          rows={[
            [
              'Backlog',
              `${job.backlog.waiting} waiting, ${job.backlog.delayed} delayed, ${job.backlog.active} active`,
            ],
            ['Oldest waiting', <Time key="o" iso={job.backlog.oldestWaitingAt} inline />],
            ['Outcomes', `${r.completed} completed, ${r.failed} failed`],
            [
              'Success rate',
              r.successRate === null ? '—' : `${(r.successRate * 100).toFixed(1)} %`,
            ],
            ['Mean duration', duration(r.meanDurationMs)],
          ]}
        />
      </section>
    </div>
  )
}
