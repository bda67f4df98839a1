import { useState } from 'preact/hooks'
import { api, enc } from '../api'
import { Action } from '../components/Action'
import { ErrorBox } from '../components/ErrorBox'
import { useAction } from '../hooks'
import { usePoll } from '../poll'
import type { Job as JobInfo } from '../types'
import { Backfill } from './job/Backfill'
import { JobSummary } from './job/Definition'
import { History } from './job/History'
import { Runs } from './job/Runs'
import { ScheduleEditor } from './job/ScheduleEditor'
import { Ticks } from './job/Ticks'
import { Trigger } from './job/Trigger'
import { WatermarkEditor } from './job/Watermark'

function Actions({ job, onChange }: { job: JobInfo; onChange: () => Promise<void> }) {
  const toggle = useAction()
  const s = job.schedule
  const act = (verb: 'pause' | 'resume') => () =>
    toggle.run(async () => {
      await api(`api/jobs/${enc(job.name)}/${verb}`, { method: 'POST' })
      await onChange()
    })
  if (!s) return <ErrorBox error={toggle.error} />
  return (
    <>
      {s.paused ? (
        <Action testid="action-resume" disabled={toggle.busy} onClick={act('resume')}>
          Resume schedule
        </Action>
      ) : (
        <Action testid="action-pause" disabled={toggle.busy} onClick={act('pause')}>
          Pause schedule
        </Action>
      )}
      <ErrorBox error={toggle.error} />
    </>
  )
}

/** One job: what it is, how it has been doing, its runs and ticks, and what can be done. */
export function Job({ name, admin }: { name: string; admin: boolean }) {
  const job = usePoll(() => api<JobInfo>(`api/jobs/${enc(name)}`), [name])
  const [triggering, setTriggering] = useState(false)
  const j = job.data
  const windowed = Boolean(j?.definition?.window) || (j?.watermark ?? null) !== null
  // a job this server does not define can be neither run nor scheduled from here: those
  // would fail; its stored schedule can still be paused, its watermark moved
  const defined = j ? j.definition !== null : false
  return (
    <>
      <div class="page-head">
        <div>
          <a href="#/" class="muted small">
            Jobs /
          </a>
          <h1 data-testid="job-title">{name}</h1>
        </div>
        {j?.schedule?.paused && <span class="tag tag-paused">paused</span>}
        {j && !defined && (
          <span class="muted small" data-testid="job-elsewhere">
            Defined in another process: run/trigger it from there.
          </span>
        )}
        <span class="spacer" />
        {admin && j && (
          <div class="row">
            {defined && (
              <Action
                class={triggering ? 'btn on' : 'btn btn-primary'}
                testid="action-trigger"
                expanded={triggering}
                onClick={() => setTriggering((t) => !t)}
              >
                Run now…
              </Action>
            )}
            <Actions job={j} onChange={job.refresh} />
          </div>
        )}
      </div>
      <ErrorBox error={job.error} />
      {admin && j && defined && triggering && <Trigger job={j} onDone={() => void job.refresh()} />}
      {!j && !job.error && <p class="muted">Loading…</p>}
      {j && (
        <>
          <JobSummary job={j} />
          <History job={name} />
          <Runs job={name} />
          {j.schedule && <Ticks job={name} />}
          {admin && (defined || windowed) && (
            <div class="grid-2">
              {defined && <ScheduleEditor job={j} onSaved={job.refresh} />}
              {windowed && (
                <WatermarkEditor job={name} watermark={j.watermark} onSaved={job.refresh} />
              )}
            </div>
          )}
          {j.schedule && <Backfill job={name} admin={admin} startable={defined} />}
        </>
      )}
    </>
  )
}
