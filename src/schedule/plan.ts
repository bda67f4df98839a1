import type { CronSchedule } from './cron.js'

/** What happens to ticks missed while no scheduler ran. */
export type CatchUp = 'latest' | 'all' | 'none'

/** The part of a schedule's definition that decides which due ticks run. */
export interface CatchUpPolicy {
  catchUp: CatchUp
  /** with 'all': how far back missed ticks still run */
  catchUpWindowMs: number
  /** a tick handled later than this after its time is missed, whatever the policy */
  startingDeadlineMs: number | null
}

/** Which of the due ticks run and which are recorded as missed; where to go on from. */
export interface TickPlan {
  run: Date[]
  missed: Date[]
  /** the first tick not handled yet (may still be due: another pass follows) */
  next: Date | null
  /** ticks were missed beyond those listed (a long downtime of a frequent schedule) */
  more: boolean
}

/**
 * A tick a scheduler handles within this long of its time is on time. Later, it was
 * due while no scheduler ran (downtime, or every scheduler stalled), and the catch-up
 * policy decides.
 */
export const LATE_MS = 5000

/** At most this many ticks are listed per pass: a croner step costs about 50 µs. */
export const PASS_LIMIT = 1000

/**
 * Plans one pass over the ticks due from `nextAt` to `now`, lateness counted from
 * `lateFrom` (when the scheduler's pass began): on-time ticks run; late
 * ones run as `catchUp` says ('latest': the most recent; 'all': those within the
 * window; 'none': none); `startingDeadline` turns any tick handled too late into a
 * missed one. A pass lists at most `PASS_LIMIT` ticks; after a long downtime it skips
 * the ticks no policy would run, so catching up costs a bounded number of passes.
 */
export function planTicks(
  schedule: CronSchedule,
  nextAt: Date,
  now: number,
  policy: CatchUpPolicy,
  lateFrom = now,
): TickPlan {
  if (nextAt.getTime() > now) return { run: [], missed: [], next: nextAt, more: false }
  const care = policy.catchUp === 'all' ? now - policy.catchUpWindowMs : lateFrom - LATE_MS
  const latest = policy.catchUp === 'latest' ? schedule.prev(new Date(now)) : null
  const ticks: Date[] = []
  let t: Date | null = nextAt
  while (t && t.getTime() <= now && ticks.length < PASS_LIMIT) {
    ticks.push(t)
    t = schedule.next(t)
  }
  const run: Date[] = []
  const missed: Date[] = []
  for (const tick of ticks) {
    const at = tick.getTime()
    const wanted = at >= care || at === latest?.getTime()
    const inTime = policy.startingDeadlineMs === null || lateFrom - at <= policy.startingDeadlineMs
    ;(wanted && inTime ? run : missed).push(tick)
  }
  let next = t
  let more = false
  const last = ticks.at(-1)
  if (t && t.getTime() <= now && last && last.getTime() < care) {
    // still far behind: jump to the first tick a policy may run
    next = schedule.next(new Date(care - 1))
    if (latest && next && latest.getTime() < next.getTime() && latest.getTime() > last.getTime())
      next = latest
    more = next === null || next.getTime() > t.getTime()
  }
  return { run, missed, next, more }
}
