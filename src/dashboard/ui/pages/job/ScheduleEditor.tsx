import { useEffect, useRef, useState } from 'preact/hooks'
import { api, enc } from '../../api'
import { Time } from '../../components/Time'
import { cronWords } from '../../format'
import { useAction, useDebounced, useDraft } from '../../hooks'
import type { Job } from '../../types'

interface Preview {
  key: string
  next: string[]
  error: unknown
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * Edits the cron expression and time zone, previewing the next 5 fire times of what is
 * typed (the server computes them, so its rules on DST and nicknames apply) before saving.
 */
export function ScheduleEditor({ job, onSaved }: { job: Job; onSaved: () => Promise<void> }) {
  const cron = useDraft(job.schedule?.cron ?? '')
  const timezone = useDraft(job.schedule?.timezone ?? 'UTC')
  const key = JSON.stringify([cron.value.trim(), timezone.value.trim()])
  const settled = useDebounced(key, 200)
  const [preview, setPreview] = useState<Preview | null>(null)
  const seq = useRef(0)
  const save = useAction()

  useEffect(() => {
    const [c, tz] = JSON.parse(settled) as [string, string]
    const mine = ++seq.current
    if (!c) {
      setPreview({ key: settled, next: [], error: null })
      return
    }
    api<{ next: string[] }>(`api/jobs/${enc(job.name)}/schedule/next`, {
      query: { n: 5, cron: c, timezone: tz },
    })
      .then((r) => mine === seq.current && setPreview({ key: settled, next: r.next, error: null }))
      .catch((err) => mine === seq.current && setPreview({ key: settled, next: [], error: err }))
  }, [settled, job.name])

  const words = cronWords(cron.value.trim())
  const errors = [preview?.error, save.error].filter(Boolean).map(message)
  const submit = () =>
    save.run(async () => {
      await api(`api/jobs/${enc(job.name)}/schedule`, {
        method: 'PATCH',
        body: { cron: cron.value.trim(), timezone: timezone.value.trim() },
      })
      await onSaved()
      cron.reset()
      timezone.reset()
    })

  return (
    <section class="panel" aria-label="schedule editor">
      <h2>Change schedule</h2>
      <div class="form-grid">
        <label for="schedule-cron">Cron</label>
        <input
          id="schedule-cron"
          class="input mono"
          spellcheck={false}
          placeholder="*/5 * * * *"
          data-testid="schedule-cron"
          data-admin
          value={cron.value}
          onInput={(e) => cron.set(e.currentTarget.value)}
        />
        <label for="schedule-timezone">Time zone</label>
        <input
          id="schedule-timezone"
          class="input mono"
          spellcheck={false}
          placeholder="UTC"
          data-testid="schedule-timezone"
          data-admin
          value={timezone.value}
          onInput={(e) => timezone.set(e.currentTarget.value)}
        />
      </div>
      <p class="muted small">{words ?? '\u00a0'}</p>
      <div class="error-box" role="alert" data-testid="schedule-error">
        {errors.length > 0 && errors.join(' · ')}
      </div>
      <div class={preview?.key === key ? 'preview' : 'preview stale'}>
        <span class="muted small">Next fire times</span>
        <ol class="times" data-testid="schedule-preview">
          {(preview?.next ?? []).map((t) => (
            <li key={t}>
              <Time iso={t} inline />
            </li>
          ))}
        </ol>
      </div>
      <button
        type="button"
        class="btn btn-primary"
        data-testid="schedule-save"
        data-admin
        disabled={save.busy || !cron.value.trim()}
        onClick={submit}
      >
        {save.busy ? 'Saving…' : 'Save schedule'}
      </button>
    </section>
  )
}
