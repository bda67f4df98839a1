import { useState } from 'preact/hooks'
import { api, enc } from '../../api'
import { Action } from '../../components/Action'
import { ErrorBox } from '../../components/ErrorBox'
import { utc } from '../../format'
import { useAction, useDraft } from '../../hooks'

/** Moves a windowed job's watermark: back to redo windows, ahead to skip them. */
export function WatermarkEditor({
  job,
  watermark,
  onSaved,
}: {
  job: string
  watermark: string | null
  onSaved: () => Promise<void>
}) {
  const value = useDraft(watermark ?? '')
  const save = useAction()
  const [saved, setSaved] = useState<string | null>(null)
  const submit = () =>
    save.run(async () => {
      const v = value.value.trim()
      if (Number.isNaN(Date.parse(v))) throw new Error('watermark: not an ISO time')
      setSaved(null)
      const r = await api<{ watermark: string | null }>(`api/jobs/${enc(job)}/watermark`, {
        method: 'PUT',
        body: { value: v },
      })
      await onSaved()
      value.reset()
      setSaved(r.watermark)
    })
  return (
    <section class="panel" aria-label="watermark">
      <h2>Watermark</h2>
      <p class="muted small">
        Where the next window starts. Moving it back makes those windows (and their items) run
        again.
      </p>
      <div class="form-row">
        <input
          class="input mono"
          aria-label="new watermark (ISO time)"
          placeholder="2026-01-01T00:00:00Z"
          data-testid="watermark-input"
          data-admin
          value={value.value}
          onInput={(e) => value.set(e.currentTarget.value)}
        />
        <Action
          class="btn btn-primary"
          testid="watermark-save"
          disabled={save.busy}
          onClick={submit}
        >
          Set watermark
        </Action>
      </div>
      <ErrorBox error={save.error} />
      {saved && <p class="ok-box">Watermark now {utc(saved)}</p>}
    </section>
  )
}
