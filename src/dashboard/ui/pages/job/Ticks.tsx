import { api, enc } from '../../api'
import { ErrorBox } from '../../components/ErrorBox'
import { StateBadge } from '../../components/StateBadge'
import { type Column, Table } from '../../components/Table'
import { Time } from '../../components/Time'
import { usePoll } from '../../poll'
import { runHref } from '../../router'
import type { Tick, TickOutcome, Ticks as TickPage } from '../../types'

const SHOWN = 20
const OUTCOMES: TickOutcome[] = ['run', 'queued', 'skipped', 'missed']

const columns: Column<Tick>[] = [
  { label: 'Tick', class: 'nowrap', cell: (t) => <Time iso={t.at} /> },
  { label: 'Outcome', cell: (t) => <StateBadge state={t.outcome} /> },
  { label: 'Source', cell: (t) => t.source },
  {
    label: 'Run',
    class: 'mono',
    cell: (t) => (t.runId ? <a href={runHref(t.runId)}>{t.runId}</a> : '—'),
  },
  { label: 'Recorded', class: 'nowrap', cell: (t) => <Time iso={t.recordedAt} /> },
]

/** The ticks the schedule did not run (skipped for overlap, or missed), with 24 h counts. */
export function Ticks({ job }: { job: string }) {
  // one request per outcome: the API filters on one outcome at a time
  const ticks = usePoll(async () => {
    const path = `api/jobs/${enc(job)}/ticks`
    const [skipped, missed] = await Promise.all(
      (['skipped', 'missed'] as const).map((outcome) =>
        api<TickPage>(path, { query: { outcome, limit: SHOWN } }),
      ),
    )
    const rows = [...(skipped?.ticks ?? []), ...(missed?.ticks ?? [])]
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
      .slice(0, SHOWN)
    return { rows, counts: skipped?.counts }
  }, [job])
  const d = ticks.data
  return (
    <section class="panel">
      <div class="panel-head">
        <h2>Ticks</h2>
        {d?.counts && (
          <div class="counts" data-testid="tick-counts" title="ticks of the last 24 h">
            <span class="muted">24 h:</span>
            {OUTCOMES.map((o) => (
              <span key={o} class={`count c-${o}`}>
                <b>{d.counts?.[o] ?? 0}</b> {o}
              </span>
            ))}
          </div>
        )}
      </div>
      <ErrorBox error={ticks.error} />
      {d && (
        <Table
          columns={columns}
          rows={d.rows}
          rowKey={(t) => `${t.at}:${t.outcome}`}
          rowProps={(t) => ({ 'data-testid': 'tick-row', 'data-outcome': t.outcome })}
          empty="No skipped or missed ticks."
        />
      )}
    </section>
  )
}
