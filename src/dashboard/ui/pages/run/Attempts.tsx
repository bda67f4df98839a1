import { Time } from '../../components/Time'
import type { Run } from '../../types'

/** Every failed attempt kept on the run, newest first, each with its stack. */
export function Attempts({ run }: { run: Run }) {
  const errors = [...run.errors].reverse()
  return (
    <section class="panel">
      <h2>Failed attempts ({errors.length})</h2>
      {errors.length === 0 && <p class="empty">No attempt has failed.</p>}
      {errors.map((e) => (
        <div class="attempt" data-testid="run-attempt" key={`${e.attempt}:${e.at}`}>
          <div class="row">
            <span class="badge state-failed">attempt {e.attempt}</span>
            <b>{e.name}</b>
            <span class="spacer" />
            <Time iso={e.at} inline />
          </div>
          <p class="attempt-message">{e.message}</p>
          {e.stack && (
            <details open={errors.length === 1}>
              <summary>Stack</summary>
              <pre class="stack-trace" data-testid="run-stack">
                {e.stack}
              </pre>
            </details>
          )}
        </div>
      ))}
    </section>
  )
}
