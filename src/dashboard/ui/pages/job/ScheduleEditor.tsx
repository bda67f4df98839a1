import { useEffect, useRef, useState } from 'preact/hooks'
import { api, enc } from '../../api'
import { Action } from '../../components/Action'
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
    // a blank field is not sent: the server would preview the stored value instead
    if (!c || !tz) {
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
  const blank = [
    // a job without a schedule starts blank: that is not an error until it is edited
    cron.value.trim() || !cron.dirty ? null : 'Cron: enter an expression, e.g. */5 * * * *',
    timezone.value.trim() ? null : 'Time zone: enter an IANA zone, e.g. UTC or Europe/Paris',
  ].filter((m): m is string => m !== null)
  // an answer about other text says nothing of this one
  const previewError = preview?.key === key ? preview.error : null
  const errors = [...blank, ...[previewError, save.error].filter(Boolean).map(message)]
  // the last save's error was about the text before this edit
  const edit = (draft: typeof cron) => (value: string) => {
    save.clear()
    draft.set(value)
  }
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
          onInput={(e) => edit(cron)(e.currentTarget.value)}
        />
        <label for="schedule-timezone">Time zone</label>
        <input
          id="schedule-timezone"
          class="input mono"
          spellcheck={false}
          placeholder="an IANA zone, e.g. UTC"
          data-testid="schedule-timezone"
          data-admin
          value={timezone.value}
          onInput={(e) => edit(timezone)(e.currentTarget.value)}
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
      <Action
        class="btn btn-primary"
        testid="schedule-save"
        disabled={save.busy || blank.length > 0 || !cron.value.trim() || Boolean(previewError)}
        onClick={submit}
      >
        {save.busy ? 'Saving…' : 'Save schedule'}
      </Action>
    </section>
  )
}
