import { api, enc } from '../api'
import { Action } from '../components/Action'
import { ErrorBox } from '../components/ErrorBox'
import { JsonView } from '../components/JsonView'
import { StateBadge } from '../components/StateBadge'
import { useAction } from '../hooks'
import { POLL_MS, usePoll } from '../poll'
import { jobHref } from '../router'
import type { Run as RunInfo } from '../types'
import { Attempts } from './run/Attempts'
import { Source, Timing } from './run/Facts'
import { Items } from './run/Items'

const share = (p: unknown): number | null => {
  const v = p as { done?: unknown; total?: unknown } | null
  if (typeof v?.done !== 'number' || typeof v.total !== 'number' || v.total <= 0) return null
  return Math.min(1, Math.max(0, v.done / v.total))
}

/** Progress as the handler reported it: a bar when it has `done` and `total`, and the JSON. */
function Progress({ value }: { value: unknown }) {
  const s = share(value)
  return (
    <div data-testid="run-progress">
      {s !== null && (
        <div class="bar" role="progressbar" aria-valuenow={Math.round(s * 100)}>
          {/* Preact applies a style object through el.style, which the CSP allows */}
          <span class={s === 1 ? 'seg-completed' : 'seg-active'} style={{ width: `${s * 100}%` }} />
        </div>
      )}
      {value === null || value === undefined ? (
        <p class="muted">No progress reported.</p>
      ) : (
        <JsonView value={value} />
      )}
    </div>
  )
}

function RunActions({ run, onDone }: { run: RunInfo; onDone: () => Promise<void> }) {
  const action = useAction()
  const post = (verb: 'retry' | 'cancel') => () =>
    action.run(async () => {
      await api(`api/runs/${enc(run.id)}/${verb}`, { method: 'POST' })
      await onDone()
    })
  const live = run.state === 'waiting' || run.state === 'delayed' || run.state === 'active'
  return (
    <>
      {run.state === 'failed' && (
        <Action
          class="btn btn-primary"
          testid="action-retry"
          disabled={action.busy}
          onClick={post('retry')}
        >
          Retry
        </Action>
      )}
      {live && (
        <Action
          class="btn btn-danger"
          testid="action-cancel"
          disabled={action.busy}
          onClick={post('cancel')}
        >
          Cancel
        </Action>
      )}
      <ErrorBox error={action.error} />
    </>
  )
}

// A failed run changes only when it is retried (here or elsewhere): a slow look suffices.
const FAILED_POLL_MS = 10_000

/**
 * One run: state, data, errors with stacks, item log, timing; retry or cancel it. It is
 * polled while it may change: every 2 s while live, every 10 s once failed, not at all
 * once completed or cancelled (or unknown: the 404 stops it).
 */
export function Run({ id, admin }: { id: string; admin: boolean }) {
  const run = usePoll(() => api<RunInfo>(`api/runs/${enc(id)}`), [id], {
    until: (r) => r.state === 'completed' || r.state === 'cancelled',
    every: (r) => (r?.state === 'failed' ? FAILED_POLL_MS : POLL_MS),
  })
  const r = run.data
  return (
    <>
      <div class="page-head">
        <div>
          {r && (
            <a href={jobHref(r.job)} class="muted small">
              {r.job} /
            </a>
          )}
          <h1 data-testid="run-title">
            Run <span class="mono">{id}</span>
          </h1>
        </div>
        {r && <StateBadge state={r.state} testid="run-state" />}
        <span class="spacer" />
        {admin && r && (
          <div class="row">
            <RunActions run={r} onDone={run.refresh} />
          </div>
        )}
      </div>
      <ErrorBox error={run.error} />
      {!r && !run.error && <p class="muted">Loading…</p>}
      {r && (
        <>
          <div class="grid-2">
            <section class="panel">
              <h2>Source</h2>
              <Source run={r} />
            </section>
            <section class="panel">
              <h2>Timing</h2>
              <Timing run={r} />
            </section>
          </div>
          <div class="grid-2">
            <section class="panel">
              <h2>Payload</h2>
              <JsonView value={r.payload} testid="run-payload" />
            </section>
            <section class="panel">
              <h2>Result</h2>
              <JsonView value={r.result} testid="run-result" />
            </section>
          </div>
          <section class="panel">
            <h2>Progress</h2>
            <Progress value={r.progress} />
          </section>
          <Attempts run={r} />
          <Items run={r} />
        </>
      )}
    </>
  )
}
