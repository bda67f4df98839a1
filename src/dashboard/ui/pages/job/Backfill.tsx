import { useEffect, useState } from 'preact/hooks'
import { api, enc } from '../../api'
import { Action } from '../../components/Action'
import { ErrorBox } from '../../components/ErrorBox'
import { PayloadEditor, usePayloadCheck } from '../../components/PayloadEditor'
import { StateBadge } from '../../components/StateBadge'
import { type Column, Table } from '../../components/Table'
import { Time } from '../../components/Time'
import { utc } from '../../format'
import { useAction } from '../../hooks'
import { usePoll } from '../../poll'
import type { Backfill as BackfillStatus } from '../../types'
import { Progress, ticksDone } from './Progress'

const hourIso = (ms: number) => `${new Date(ms).toISOString().slice(0, 13)}:00:00Z`
const HOUR = 3_600_000

const columns = (pick: (id: string) => void): Column<BackfillStatus>[] => [
  {
    label: 'Backfill',
    class: 'mono',
    cell: (b) => (
      <button type="button" class="link mono" title="show its progress" onClick={() => pick(b.id)}>
        {b.id}
      </button>
    ),
  },
  { label: 'State', cell: (b) => <StateBadge state={b.state} /> },
  { label: 'Range', class: 'nowrap', cell: (b) => `${utc(b.from)} → ${utc(b.to)}` },
  {
    label: 'Done',
    class: 'num',
    cell: (b) => `${ticksDone(b)}/${b.total}`,
  },
  { label: 'Failed', class: 'num', cell: (b) => b.failed },
  { label: 'Started', class: 'nowrap', cell: (b) => <Time iso={b.createdAt} /> },
]

/**
 * Runs the job for every tick in a past range, with the payload typed (checked as the
 * trigger's is) or, left empty, none (as the schedule's own runs have). The backfill
 * started here (or picked from the list, or else one found running) shows its progress
 * live until it ends. `startable` false (a job this server does not define) lists the
 * backfills without the form: starting one could only fail here.
 */
export function Backfill({
  job,
  admin,
  startable = true,
}: {
  job: string
  admin: boolean
  startable?: boolean
}) {
  const now = Date.now()
  const [from, setFrom] = useState(() => hourIso(now - 24 * HOUR))
  const [to, setTo] = useState(() => hourIso(now))
  const [concurrency, setConcurrency] = useState('')
  const [payload, setPayload] = useState('')
  const check = usePayloadCheck(job, payload, { optional: true })
  const [picked, setPicked] = useState<string | null>(null)
  const start = useAction()
  const list = usePoll(
    () => api<{ backfills: BackfillStatus[] }>('api/backfills', { query: { job, limit: 10 } }),
    [job],
  )
  const all = list.data?.backfills ?? []
  const running = all.find((b) => b.state === 'running')?.id ?? null
  // one found running stays shown once it ends, as one started here does
  useEffect(() => {
    if (!picked && running) setPicked(running)
  }, [picked, running])
  const current = usePoll(
    () => (picked ? api<BackfillStatus>(`api/backfills/${enc(picked)}`) : Promise.resolve(null)),
    [picked],
    { until: (b) => b !== null && b.state !== 'running' },
  )

  const submit = () =>
    start.run(async () => {
      if (!check.ready) return
      for (const [name, v] of [
        ['from', from],
        ['to', to],
      ] as const) {
        if (Number.isNaN(Date.parse(v))) throw new Error(`${name}: not an ISO time`)
      }
      const n = concurrency.trim() ? Number(concurrency) : undefined
      const b = await api<BackfillStatus>(`api/jobs/${enc(job)}/backfill`, {
        method: 'POST',
        // an empty editor sends no payload at all (undefined is left out of the JSON)
        body: { from: from.trim(), to: to.trim(), concurrency: n, payload: check.value },
      })
      setPicked(b.id)
      void list.refresh()
    })
  const cancel = useAction()
  const shown = current.data ?? null

  return (
    <section class="panel">
      <h2>Backfill</h2>
      {admin && startable && (
        <>
          <div class="form-row">
            <label>
              From
              <input
                class="input mono"
                data-testid="backfill-from"
                data-admin
                value={from}
                onInput={(e) => setFrom(e.currentTarget.value)}
              />
            </label>
            <label>
              To (exclusive)
              <input
                class="input mono"
                data-testid="backfill-to"
                data-admin
                value={to}
                onInput={(e) => setTo(e.currentTarget.value)}
              />
            </label>
            <label>
              Concurrency
              <input
                class="input num-input"
                inputMode="numeric"
                placeholder="5"
                data-testid="backfill-concurrency"
                data-admin
                value={concurrency}
                onInput={(e) => setConcurrency(e.currentTarget.value)}
              />
            </label>
            <Action
              class="btn btn-primary"
              testid="backfill-submit"
              disabled={start.busy || !check.ready}
              onClick={submit}
            >
              Start backfill
            </Action>
            {check.checking && <span class="muted small">checking…</span>}
          </div>
          <PayloadEditor
            id="backfill-payload"
            label="Payload (JSON, optional: empty runs each tick without one)"
            testid="backfill-payload"
            errorsTestid="backfill-payload-errors"
            text={payload}
            onInput={setPayload}
            check={check}
            rows={3}
            placeholder="no payload"
          />
        </>
      )}
      <ErrorBox error={start.error ?? list.error ?? current.error} />
      {shown && (
        <Progress
          backfill={shown}
          onCancel={
            admin && shown.state === 'running'
              ? () =>
                  cancel.run(async () => {
                    await api(`api/backfills/${enc(shown.id)}/cancel`, { method: 'POST' })
                    await current.refresh()
                  })
              : undefined
          }
        />
      )}
      <ErrorBox error={cancel.error} />
      {list.data && all.length === 0 && <p class="empty">No backfills yet.</p>}
      {all.length > 0 && (
        <Table
          columns={columns(setPicked)}
          rows={all}
          rowKey={(b) => b.id}
          rowProps={(b) => ({
            'data-testid': 'backfill-row',
            'data-state': b.state,
            class: b.id === picked ? 'selected' : undefined,
          })}
        />
      )}
    </section>
  )
}
