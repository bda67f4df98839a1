import { useState } from 'preact/hooks'
import { api } from '../../api'
import { ErrorBox } from '../../components/ErrorBox'
import { PAGE, Pager, usePaging } from '../../components/Pager'
import { StateBadge } from '../../components/StateBadge'
import { type Column, Table } from '../../components/Table'
import { Time } from '../../components/Time'
import { duration, lastError, runDuration } from '../../format'
import { usePoll } from '../../poll'
import { runHref } from '../../router'
import { type Page, RUN_STATES, type Run } from '../../types'

const columns: Column<Run>[] = [
  {
    label: 'Run',
    class: 'mono',
    cell: (r) => <a href={runHref(r.id)}>{r.id}</a>,
  },
  { label: 'State', cell: (r) => <StateBadge state={r.state} /> },
  { label: 'Source', cell: (r) => r.source },
  { label: 'Attempt', class: 'num', cell: (r) => `${r.attempt}/${r.maxAttempts}` },
  { label: 'Created', class: 'nowrap', cell: (r) => <Time iso={r.createdAt} /> },
  { label: 'Started', class: 'nowrap', cell: (r) => <Time iso={r.startedAt} /> },
  { label: 'Duration', class: 'num', cell: (r) => duration(runDuration(r)) },
  {
    label: 'Error',
    class: 'clip',
    cell: (r) => <span title={lastError(r)}>{lastError(r)}</span>,
  },
]

/** The job's runs, newest first, filtered by state, growing a page at a time (see Pager). */
export function Runs({ job }: { job: string }) {
  const [state, setState] = useState('')
  const paging = usePaging()
  const { limit, cursor } = paging
  const runs = usePoll(
    // summary: no payload, result or stack, which the table does not show
    () => api<Page<Run>>('api/runs', { query: { job, state, limit, cursor, summary: true } }),
    [job, state, limit, cursor],
    { resetOn: [job, state, cursor] },
  )
  const list = runs.data?.runs ?? []
  return (
    <section class="panel">
      <div class="panel-head">
        <h2>Runs</h2>
        <label class="inline">
          State{' '}
          <select
            class="input"
            data-testid="runs-filter"
            value={state}
            onChange={(e) => {
              setState(e.currentTarget.value)
              paging.set({ limit: PAGE })
            }}
          >
            <option value="">all</option>
            {RUN_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={runs.error} />
      {runs.data ? (
        <>
          <Table
            columns={columns}
            rows={list}
            rowKey={(r) => r.id}
            rowProps={(r) => ({
              'data-testid': 'run-row',
              'data-run': r.id,
              'data-state': r.state,
            })}
            empty={state ? `No ${state} runs.` : 'No runs yet.'}
          />
          <Pager paging={paging} shown={list.length} next={runs.data.next} testid="runs-more" />
        </>
      ) : (
        !runs.error && <p class="muted">Loading…</p>
      )}
    </section>
  )
}
