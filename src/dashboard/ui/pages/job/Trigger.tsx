import { useState } from 'preact/hooks'
import { api, enc } from '../../api'
import { Action } from '../../components/Action'
import { ErrorBox } from '../../components/ErrorBox'
import { JsonView } from '../../components/JsonView'
import { PayloadEditor, usePayloadCheck } from '../../components/PayloadEditor'
import { useAction } from '../../hooks'
import { runHref } from '../../router'
import type { Job } from '../../types'

/**
 * Runs the job now with a payload typed as JSON. The text is parsed on every keystroke
 * and checked against the job's payload schema once typing pauses; the button waits
 * until the current text is known to be valid.
 */
export function Trigger({ job, onDone }: { job: Job; onDone: () => void }) {
  const [text, setText] = useState('{}')
  const [made, setMade] = useState<{ id: string; created: boolean } | null>(null)
  const check = usePayloadCheck(job.name, text)
  const action = useAction()

  const submit = () =>
    action.run(async () => {
      if (!check.ready) return
      setMade(null)
      const r = await api<{ id: string; created: boolean }>(`api/jobs/${enc(job.name)}/trigger`, {
        method: 'POST',
        body: { payload: check.value },
      })
      setMade(r)
      onDone()
    })

  return (
    <section class="panel" aria-label="trigger">
      <h2>Run now</h2>
      <PayloadEditor
        id="payload-editor"
        label="Payload (JSON)"
        testid="payload-editor"
        errorsTestid="payload-errors"
        text={text}
        onInput={setText}
        check={check}
      />
      {job.definition?.payloadSchema ? (
        <details>
          <summary>Payload schema</summary>
          <JsonView value={job.definition.payloadSchema} />
        </details>
      ) : null}
      <div class="row">
        <Action
          class="btn btn-primary"
          testid="trigger-submit"
          disabled={!check.ready || action.busy}
          onClick={submit}
        >
          {action.busy ? 'Starting…' : 'Run now'}
        </Action>
        {check.checking && <span class="muted small">checking…</span>}
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
