import { useState } from 'preact/hooks'
import { api, enc } from '../api'
import { Action } from '../components/Action'
import { ErrorBox } from '../components/ErrorBox'
import { Pager, usePaging } from '../components/Pager'
import { type Column, Table } from '../components/Table'
import { Time } from '../components/Time'
import { lastError, plural } from '../format'
import { useAction } from '../hooks'
import { usePoll } from '../poll'
import { jobHref, runHref } from '../router'
import type { Page, Run } from '../types'

/** Failed runs of every job, newest first; select some (or take all) and retry them. */
export function Failed({ admin }: { admin: boolean }) {
  const paging = usePaging()
  const { limit, cursor } = paging
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set())
  const [note, setNote] = useState<string | null>(null)
  const runs = usePoll(
    // summary: no payload, result or stack, which a table does not show
    () => api<Page<Run>>('api/runs', { query: { state: 'failed', limit, cursor, summary: true } }),
    [limit, cursor],
    { resetOn: [cursor] },
  )
  const action = useAction()
  const list = runs.data?.runs ?? []
  // a run that left the list (retried elsewhere, or deleted) is no longer selected
  const selected = list.filter((r) => picked.has(r.id)).map((r) => r.id)
  const all = list.length > 0 && selected.length === list.length

  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected)
    if (on) next.add(id)
    else next.delete(id)
    setPicked(next)
  }
  const done = async (ids: string[], failed: number) => {
    setPicked(new Set())
    setNote(`Retried ${plural(ids.length, 'run')}${failed ? `; ${failed} could not be` : ''}.`)
    await runs.refresh()
  }
  const retrySelected = () =>
    action.run(async () => {
      setNote(null)
      const results = await Promise.allSettled(
        selected.map((id) => api(`api/runs/${enc(id)}/retry`, { method: 'POST' })),
      )
      const ok = selected.filter((_, i) => results[i]?.status === 'fulfilled')
      const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      await done(ok, results.length - ok.length)
      if (bad) throw bad.reason
    })
  const retryAll = () => {
    if (!window.confirm('Retry every failed run of every job?')) return
    void action.run(async () => {
      setNote(null)
      const r = await api<{ retried: string[] }>('api/runs/retry-failed', {
        method: 'POST',
        body: {},
      })
      await done(r.retried, 0)
    })
  }

  const select: Column<Run> = {
    label: (
      <input
        type="checkbox"
        aria-label="select all"
        data-testid="failed-select-all"
        data-admin
        checked={all}
        disabled={list.length === 0}
        onChange={(e) =>
          setPicked(e.currentTarget.checked ? new Set(list.map((r) => r.id)) : new Set())
        }
      />
    ),
    cell: (r) => (
      <input
        type="checkbox"
        aria-label={`select run ${r.id}`}
        data-testid="failed-select"
        data-admin
        checked={picked.has(r.id)}
        onChange={(e) => toggle(r.id, e.currentTarget.checked)}
      />
    ),
  }
  // selecting is for retrying: a read token gets no checkboxes
  const columns: Column<Run>[] = [
    ...(admin ? [select] : []),
    { label: 'Run', class: 'mono', cell: (r) => <a href={runHref(r.id)}>{r.id}</a> },
    { label: 'Job', cell: (r) => <a href={jobHref(r.job)}>{r.job}</a> },
    { label: 'Source', cell: (r) => r.source },
    { label: 'Attempts', class: 'num', cell: (r) => `${r.attempt}/${r.maxAttempts}` },
    { label: 'Failed', class: 'nowrap', cell: (r) => <Time iso={r.finishedAt} /> },
    {
      label: 'Error',
      class: 'clip',
      cell: (r) => <span title={lastError(r)}>{lastError(r)}</span>,
    },
  ]

  return (
    <>
      <div class="page-head">
        <h1>Failed runs</h1>
        <span class="spacer" />
        {admin && (
          <div class="row">
            <Action
              class="btn btn-primary"
              testid="failed-retry-selected"
              disabled={selected.length === 0 || action.busy}
              onClick={retrySelected}
            >
              Retry selected ({selected.length})
            </Action>
            <Action
              testid="failed-retry-all"
              disabled={list.length === 0 || action.busy}
              onClick={retryAll}
            >
              Retry all…
            </Action>
          </div>
        )}
      </div>
      <ErrorBox error={runs.error ?? action.error} />
      {note && <p class="ok-box">{note}</p>}
      {runs.data ? (
        <section class="panel flush">
          <Table
            columns={columns}
            rows={list}
            rowKey={(r) => r.id}
            rowProps={(r) => ({
              'data-testid': 'failed-row',
              'data-run': r.id,
              class: admin && picked.has(r.id) ? 'selected' : undefined,
            })}
            empty="No failed runs."
          />
          <Pager paging={paging} shown={list.length} next={runs.data.next} testid="failed-more" />
        </section>
      ) : (
        !runs.error && <p class="muted">Loading…</p>
      )}
    </>
  )
}
