import { Action } from '../../components/Action'
import { StateBadge } from '../../components/StateBadge'
import { utc } from '../../format'
import type { Backfill } from '../../types'

const share = (n: number, total: number) => `${total > 0 ? (100 * n) / total : 0}%`

/**
 * The ticks of a backfill that are behind it: those its runs finished, and those that had
 * run already (it enqueued nothing for them). A completed backfill has them all.
 */
export const ticksDone = (b: Backfill): number =>
  Math.min(b.total, b.completed + b.failed + b.cancelled + b.existing)

/** A backfill's progress: counts and a bar split by outcome. */
export function Progress({ backfill: b, onCancel }: { backfill: Backfill; onCancel?: () => void }) {
  const done = ticksDone(b)
  return (
    <div class="progress-box" data-testid="backfill-progress" data-state={b.state}>
      <div class="row">
        <StateBadge state={b.state} />
        <span class="mono small">{b.id}</span>
        <span class="muted small">
          {utc(b.from)} → {utc(b.to)}
        </span>
        <span class="spacer" />
        {onCancel && (
          <Action class="btn btn-danger btn-small" testid="backfill-cancel" onClick={onCancel}>
            Cancel backfill
          </Action>
        )}
      </div>
      <div
        class="bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={b.total}
        aria-valuenow={done}
      >
        {/* Preact applies a style object through el.style, which the CSP allows */}
        <span class="seg-completed" style={{ width: share(b.completed, b.total) }} />
        <span class="seg-existing" style={{ width: share(b.existing, b.total) }} />
        <span class="seg-failed" style={{ width: share(b.failed, b.total) }} />
        <span class="seg-cancelled" style={{ width: share(b.cancelled, b.total) }} />
      </div>
      <div class="counts">
        <span class="count">
          <b>
            {done}/{b.total}
          </b>{' '}
          done
        </span>
        <span class="count">
          <b>
            {b.enqueued}/{b.total}
          </b>{' '}
          enqueued
        </span>
        <span class="count c-completed">
          <b>{b.completed}</b> completed
        </span>
        <span class="count c-failed">
          <b>{b.failed}</b> failed
        </span>
        <span class="count">
          <b>{b.cancelled}</b> cancelled
        </span>
        <span class="count" title="ticks that had run already">
          <b>{b.existing}</b> already ran
        </span>
        <span class="count c-active">
          <b>{b.live}</b> in flight
        </span>
      </div>
    </div>
  )
}
