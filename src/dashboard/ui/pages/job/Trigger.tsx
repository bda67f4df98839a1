import { useEffect, useRef, useState } from 'preact/hooks'
import { api, enc } from '../../api'
import { ErrorBox } from '../../components/ErrorBox'
import { JsonView } from '../../components/JsonView'
import { useAction, useDebounced } from '../../hooks'
import { runHref } from '../../router'
import type { Issue, Job } from '../../types'

type Parsed = { ok: true; value: unknown } | { ok: false; message: string }

function parse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
}

const describe = (i: Issue) => (i.path ? `${i.path}: ${i.message}` : i.message)

/** The server's verdict on one text of the editor. */
interface Check {
  text: string
  issues: string[]
  /** the check itself failed (not the payload): submitting is left to the server */
  failed?: string
}

/**
 * Runs the job now with a payload typed as JSON. The text is parsed on every keystroke
 * and checked against the job's payload schema once typing pauses; the button waits
 * until the current text is known to be valid.
 */
export function Trigger({ job, onDone }: { job: Job; onDone: () => void }) {
  const [text, setText] = useState('{}')
  const [check, setCheck] = useState<Check | null>(null)
  const [made, setMade] = useState<{ id: string; created: boolean } | null>(null)
  const settled = useDebounced(text, 200)
  const seq = useRef(0)
  const action = useAction()
  const parsed = parse(text)

  useEffect(() => {
    const p = parse(settled)
    if (!p.ok) return
    const mine = ++seq.current
    api<{ valid: boolean; issues: Issue[] }>(`api/jobs/${enc(job.name)}/validate`, {
      method: 'POST',
      body: { payload: p.value },
    })
      .then((r) => {
        if (mine === seq.current)
          setCheck({ text: settled, issues: r.valid ? [] : r.issues.map(describe) })
      })
      .catch((err: Error) => {
        if (mine === seq.current) setCheck({ text: settled, issues: [], failed: err.message })
      })
  }, [settled, job.name])

  const current = check?.text === text ? check : null
  const issues = parsed.ok ? (current?.issues ?? []) : [`JSON: ${parsed.message}`]
  const ready = parsed.ok && current !== null && issues.length === 0

  const submit = () =>
    action.run(async () => {
      if (!parsed.ok) return
      setMade(null)
      const r = await api<{ id: string; created: boolean }>(`api/jobs/${enc(job.name)}/trigger`, {
        method: 'POST',
        body: { payload: parsed.value },
      })
      setMade(r)
      onDone()
    })

  return (
    <section class="panel" aria-label="trigger">
      <h2>Run now</h2>
      <label for="payload-editor">Payload (JSON)</label>
      <textarea
        id="payload-editor"
        class="input code"
        rows={8}
        spellcheck={false}
        data-testid="payload-editor"
        data-admin
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <ul class="issues" data-testid="payload-errors" aria-live="polite">
        {issues.map((i) => (
          <li key={i}>{i}</li>
        ))}
      </ul>
      {current?.failed && <p class="muted small">Could not check the payload: {current.failed}</p>}
      {job.definition?.payloadSchema ? (
        <details>
          <summary>Payload schema</summary>
          <JsonView value={job.definition.payloadSchema} />
        </details>
      ) : null}
      <div class="row">
        <button
          type="button"
          class="btn btn-primary"
          data-testid="trigger-submit"
          data-admin
          disabled={!ready || action.busy}
          onClick={submit}
        >
          {action.busy ? 'Starting…' : 'Run now'}
        </button>
        {!parsed.ok || current ? null : <span class="muted small">checking…</span>}
      </div>
      <ErrorBox error={action.error} />
      {made && (
        <p class="ok-box" data-testid="trigger-result">
          {made.created ? 'Enqueued run ' : 'A run already holds this: '}
          <a class="mono" href={runHref(made.id)}>
            {made.id}
          </a>
        </p>
      )}
    </section>
  )
}
