import { api, enc } from '../../api'
import { ErrorBox } from '../../components/ErrorBox'
import { type Column, Table } from '../../components/Table'
import { Time } from '../../components/Time'
import { usePoll } from '../../poll'
import type { Item, Run } from '../../types'

const ALL = 10_000
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

/** The run's item log: how many items succeeded and failed, and which failed. */
export function Items({ run }: { run: Run }) {
  // The log only grows while the run is active: afterwards it is fetched once per attempt.
  const items = usePoll(
    () => api<{ items: Item[] }>(`api/runs/${enc(run.id)}/items`, { query: { limit: ALL } }),
    [run.id, run.state, run.attempt],
    { live: run.state === 'active', resetOn: [run.id] },
  )
  const list = items.data?.items ?? []
  const failed = list.filter((i) => !i.ok)
  const ok = list.length - failed.length
  return (
    <section class="panel">
      <h2>Items</h2>
      <ErrorBox error={items.error} />
      <p class="counts" data-testid="run-items">
        <span class="count c-completed">
          <b>{ok}</b> ok
        </span>
        <span class={failed.length ? 'count c-failed' : 'count'}>
          <b>{failed.length}</b> failed
        </span>
        <span class="count muted">
          {list.length >= ALL ? `first ${ALL} items counted` : `${list.length} logged`}
        </span>
      </p>
      {failed.length > 0 && (
        <>
          <Table
            columns={columns}
            rows={failed.slice(0, SHOWN)}
            rowKey={(i) => `${i.scope}:${i.key}:${i.attempt}:${i.at}`}
            rowProps={() => ({ 'data-testid': 'item-row' })}
          />
          {failed.length > SHOWN && (
            <p class="muted small">and {failed.length - SHOWN} more failed items</p>
          )}
        </>
      )}
    </section>
  )
}
