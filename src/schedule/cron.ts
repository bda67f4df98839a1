import { Cron } from 'croner'
import { ValidationError } from '../errors.js'

/**
 * A compiled cron expression in a time zone: the times it fires.
 *
 * Daylight-saving changes follow the rule Vixie cron documents (croner implements
 * it): a job at a fixed time (no `*` or step in its second, minute and hour fields; a list or range still counts)
 * runs once on a change day: a time skipped by the spring-forward jump runs right
 * after the jump, a time that occurs twice runs at its first occurrence. A job of
 * hourly or finer granularity runs at every real hour: 23 times on a spring-forward
 * day, 25 on a fall-back day.
 */
export interface CronSchedule {
  readonly cron: string
  readonly timezone: string
  /** the first fire time strictly after `after` */
  next(after: Date): Date | null
  /** the last fire time at or before `at` */
  prev(at: Date): Date | null
}

/** Throws `ValidationError` naming `field` unless `timezone` is a known IANA zone. */
export function checkTimezone(timezone: unknown, field = 'timezone'): string {
  if (typeof timezone === 'string' && timezone.length > 0) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone })
      return timezone
    } catch {}
  }
  throw new ValidationError('invalid time zone', [
    {
      path: field,
      message: `expected an IANA time zone such as 'UTC' or 'Europe/London', got ${JSON.stringify(timezone)}`,
    },
  ])
}

/**
 * Compiles a cron expression: 5 fields, or 6 with seconds first, or a nickname
 * (`@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`). Throws `ValidationError`
 * naming `field` and saying what is wrong.
 */
export function compileCron(cron: unknown, timezone: unknown, field = 'schedule'): CronSchedule {
  const at = (name: string) => (field ? `${field}.${name}` : name)
  const zone = checkTimezone(timezone, at('timezone'))
  const fail = (message: string) =>
    new ValidationError('invalid cron expression', [{ path: at('cron'), message }])
  if (typeof cron !== 'string') throw fail(`expected a string, got ${typeof cron}`)
  const fields = cron.trim().split(/\s+/).length
  if (!cron.trim().startsWith('@') && (fields < 5 || fields > 6)) {
    throw fail(
      `expected 5 fields (minute hour day month weekday), 6 with seconds first, or a nickname like @daily; got ${fields} in ${JSON.stringify(cron)}`,
    )
  }
  let c: Cron
  try {
    // 'no-wildcard' is Vixie's rule: a list or range of hours is still a fixed time
    c = new Cron(cron, { timezone: zone, paused: true, fixedTimeRule: 'no-wildcard' })
  } catch (err) {
    throw fail(`${(err as Error).message.replace(/^CronPattern: /, '')} in ${JSON.stringify(cron)}`)
  }
  if (c.nextRun(new Date(0)) === null) throw fail(`${JSON.stringify(cron)} never fires`)
  return {
    cron,
    timezone: zone,
    next: (after) => c.nextRun(after),
    // croner counts a run earlier in the reference's second as before it; a millisecond
    // later makes a fire time exactly at `at` count too
    prev: (at) => c.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null,
  }
}

/** Up to `n` fire times strictly after `after`. */
export function nextTicks(schedule: CronSchedule, after: Date, n: number): Date[] {
  const out: Date[] = []
  let at: Date | null = after
  while (out.length < n) {
    at = schedule.next(at)
    if (!at) break
    out.push(at)
  }
  return out
}

/**
 * The next fire times of a cron expression, without a job or a database: to check a
 * schedule read from configuration before anything starts. `count` defaults to 5,
 * `after` to now, `timezone` to UTC. Throws `ValidationError` naming `cron` or
 * `timezone` and saying what is wrong (an expression that never fires included), or
 * naming `count` when it is not an integer from 1 to 1000, or `after` when it is not a
 * valid Date.
 */
export function nextFireTimes(
  cron: string,
  options: { timezone?: string; after?: Date; count?: number } = {},
): Date[] {
  const count = options.count ?? 5
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw new ValidationError('invalid count', [
      { path: 'count', message: `expected an integer from 1 to 1000, got ${count}` },
    ])
  const after = options.after ?? new Date()
  if (!(after instanceof Date) || Number.isNaN(after.getTime()))
    throw new ValidationError('invalid after', [
      { path: 'after', message: `expected a valid Date, got ${String(after)}` },
    ])
  const schedule = compileCron(cron, options.timezone ?? 'UTC', '')
  return nextTicks(schedule, after, count)
}
