import type { ComponentChildren } from 'preact'
import { Time } from '../../components/Time'
import { duration, runDuration, utc } from '../../format'
import { jobHref } from '../../router'
import type { Run } from '../../types'

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

/** Where the run came from: its source and what it stands for (a tick, a window, a backfill). */
export function Source({ run }: { run: Run }) {
  return (
    <dl class="pairs" data-testid="run-source">
      <Fact label="Source">
        <b>{run.source}</b>
      </Fact>
      <Fact label="Job">
        <a href={jobHref(run.job)}>{run.job}</a>
      </Fact>
      {run.tick && <Fact label="Tick">{utc(run.tick)}</Fact>}
      {run.window && (
        <Fact label="Window">
          {utc(run.window.from)} → {utc(run.window.to)}
        </Fact>
      )}
      {run.backfill && (
        <Fact label="Backfill">
          <span class="mono">{run.backfill}</span>
        </Fact>
      )}
      {run.key !== null && (
        <Fact label="Key">
          <span class="mono">{run.key}</span>
        </Fact>
      )}
      <Fact label="Priority">{run.priority}</Fact>
      <Fact label="Attempt">
        {run.attempt} of {run.maxAttempts}
      </Fact>
    </dl>
  )
}

/** When the run was made, due, started and ended, and how long it took (or has taken). */
export function Timing({ run }: { run: Run }) {
  const ms = runDuration(run)
  return (
    <dl class="pairs" data-testid="run-timing">
      <Fact label="Created">
        <Time iso={run.createdAt} inline />
      </Fact>
      <Fact label="Run at">
        <Time iso={run.runAt} inline />
      </Fact>
      <Fact label="Started">
        <Time iso={run.startedAt} inline />
      </Fact>
      <Fact label="Finished">
        <Time iso={run.finishedAt} inline />
      </Fact>
      <Fact label="Duration">
        {ms === null ? '—' : `${duration(ms)}${run.finishedAt ? '' : ' so far'}`}
      </Fact>
    </dl>
  )
}
