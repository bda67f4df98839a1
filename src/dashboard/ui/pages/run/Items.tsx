import { api, enc } from '../../api'
import { ErrorBox } from '../../components/ErrorBox'
import { type Column, Table } from '../../components/Table'
import { Time } from '../../components/Time'
import { usePoll } from '../../poll'
import type { Item, ItemPage, Run } from '../../types'

const SHOWN = 200

const columns: Column<Item>[] = [
  { label: 'Key', class: 'mono', cell: (i) => i.key },
  { label: 'Scope', class: 'mono', cell: (i) => i.scope },
  { label: 'Attempt', class: 'num', cell: (i) => i.attempt },
  {
    label: 'Error',
    class: 'clip',
    cell: (i) => (i.error ? `${i.error.name}: ${i.error.message}` : ''),
  },
  { label: 'At', class: 'nowrap', cell: (i) => <Time iso={i.at} /> },
]

/** The run's item log: how many items succeeded and failed (the server counts), and which failed. */
export function Items({ run }: { run: Run }) {
  // Only an active handler writes items: the log is polled while the run is active, and
  // otherwise fetched once per state and attempt (a retry starts a new one).
  const items = usePoll(
    () => api<ItemPage>(`api/runs/${enc(run.id)}/items`, { query: { ok: false, limit: SHOWN } }),
    [run.id, run.state, run.attempt],
    { live: run.state === 'active', resetOn: [run.id] },
  )
  const failed = items.data?.items ?? []
  const counts = items.data?.counts ?? null
  const more = counts ? counts.failed - failed.length : 0
  return (
    <section class="panel">
      <h2>Items</h2>
      <ErrorBox error={items.error} />
      <p class="counts" data-testid="run-items">
        {counts ? (
          <>
            <span class="count c-completed">
              <b>{counts.ok}</b> ok
            </span>
            <span class={counts.failed ? 'count c-failed' : 'count'}>
              <b>{counts.failed}</b> failed
            </span>
            <span class="count muted">{counts.ok + counts.failed} logged</span>
          </>
        ) : (
          !items.error && <span class="muted">Loading…</span>
        )}
      </p>
      {failed.length > 0 && (
        <>
          <Table
            columns={columns}
            rows={failed}
            rowKey={(i) => `${i.scope}:${i.key}:${i.attempt}:${i.at}`}
            rowProps={() => ({ 'data-testid': 'item-row' })}
          />
          {more > 0 && <p class="muted small">and {more} more failed items</p>}
        </>
      )}
    </section>
  )
}
