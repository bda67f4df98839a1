import { z } from 'zod'
import { NotFoundError } from '../errors.js'
import type { QueueStore } from '../queue/store.js'
import {
  getSchedule,
  listSchedules,
  type ScheduleInfo,
  updateSchedule,
} from '../schedule/control.js'
import { type CronSchedule, compileCron, nextTicks } from '../schedule/cron.js'
import {
  countTicks,
  listTicks,
  TICK_OUTCOMES,
  type Tick,
  type TickOutcome,
} from '../schedule/ticks.js'
import { parse } from '../util/parse.js'
import { dateSchema } from './inputs.js'
import type { ResolvedJob } from './resolve.js'

const updateSchema = z
  .object({ cron: z.string().optional(), timezone: z.string().optional() })
  .strict()
  .refine((o) => o.cron !== undefined || o.timezone !== undefined, {
    message: 'give cron, timezone or both',
  })

const ticksSchema = z
  .object({
    outcome: z.enum(TICK_OUTCOMES).optional(),
    before: dateSchema.optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict()

const DAY_MS = 86_400_000

async function storedSchedule(store: QueueStore, job: string): Promise<ScheduleInfo | undefined> {
  return getSchedule(store, job).catch((err) => {
    if (err instanceof NotFoundError) return undefined
    throw err
  })
}

/**
 * A job's schedule as stored (it may have changed at runtime), else as its definition
 * here declares it. Throws `NotFoundError` when it has neither.
 */
export async function scheduleOf(
  store: QueueStore,
  job: string,
  def: ResolvedJob | undefined,
  stored?: ScheduleInfo,
): Promise<CronSchedule> {
  const s = stored ?? (await storedSchedule(store, job))
  if (s) return compileCron(s.cron, s.timezone)
  if (def?.schedule) return def.schedule.cron
  throw new NotFoundError(`job '${job}' has no schedule`, { job })
}

/** The next `n` fire times of `cron` after now, from where the stored schedule stands. */
export function upcoming(
  cron: CronSchedule,
  now: number,
  stored: ScheduleInfo | undefined,
  n: number,
): Date[] {
  if (stored?.paused) return []
  // the stored next tick may be due already: it is the first fire time still to come
  const from = stored ? Math.max(now, stored.nextAt.getTime() - 1) : now
  return nextTicks(cron, new Date(from), n)
}

/** Read and change schedules at runtime. Made by `new Tickwork()` as `tw.schedules`. */
export class Schedules {
  constructor(
    private readonly open: () => Promise<QueueStore>,
    private readonly defined: (job: string) => ResolvedJob | undefined,
  ) {}

  /** A job's schedule as stored. Throws `NotFoundError` when it has none. */
  async get(job: string): Promise<ScheduleInfo> {
    return getSchedule(await this.open(), job)
  }

  /** Every schedule in the database. */
  async list(): Promise<ScheduleInfo[]> {
    return listSchedules(await this.open())
  }

  /**
   * The next `n` (default 5, at most 1000) fire times of a job's schedule: from the
   * database when it is stored there, else from the job's definition here; none while
   * paused. Throws `NotFoundError` when the job has no schedule, `ValidationError` for
   * a bad `n`.
   */
  async next(job: string, n = 5): Promise<Date[]> {
    parse(z.number().int().min(1).max(1000), n, 'count', 'n')
    const store = await this.open()
    const stored = await storedSchedule(store, job)
    if (stored?.paused) return []
    const cron = await scheduleOf(store, job, this.defined(job), stored)
    return upcoming(cron, store.clock.now(), stored, n)
  }

  /**
   * The next `n` fire times a job's schedule would have with `change` applied (cron,
   * time zone or both; the other as it is now), saving nothing: the preview of an edit.
   * A job without a schedule needs a cron, and is in UTC unless a zone is given.
   * Throws `ValidationError` for a bad or missing expression, a bad zone or `n`.
   */
  async preview(job: string, change: { cron?: string; timezone?: string }, n = 5): Promise<Date[]> {
    parse(updateSchema, change, 'schedule change')
    parse(z.number().int().min(1).max(1000), n, 'count', 'n')
    const store = await this.open()
    const stored = await storedSchedule(store, job)
    const declared = this.defined(job)?.schedule?.cron
    const cron = compileCron(
      change.cron ?? stored?.cron ?? declared?.cron,
      change.timezone ?? stored?.timezone ?? declared?.timezone ?? 'UTC',
      '',
    )
    return nextTicks(cron, new Date(store.clock.now()), n)
  }

  /**
   * A job's schedule ticks, newest first (default 50, at most 1000; `before` pages on
   * with `next`), and how its ticks of the last 24 hours turned out. Throws
   * `ValidationError` for a bad filter.
   */
  async ticks(
    job: string,
    filter: { outcome?: TickOutcome; before?: Date | string; limit?: number } = {},
  ): Promise<{ ticks: Tick[]; next?: Date; counts: Record<TickOutcome, number> }> {
    const f = parse(ticksSchema, filter, 'filter')
    const store = await this.open()
    const limit = f.limit ?? 50
    // one more than the page: there is a next page only when it came
    const [rows, counts] = await Promise.all([
      listTicks(store, job, { outcome: f.outcome, before: f.before, limit: limit + 1 }),
      countTicks(store, job, new Date(store.clock.now() - DAY_MS)),
    ])
    const ticks = rows.slice(0, limit)
    const last = rows.length > limit ? ticks.at(-1) : undefined
    return last ? { ticks, next: last.at, counts } : { ticks, counts }
  }

  /**
   * Changes a job's cron expression and/or time zone; every scheduler follows within
   * its poll interval, without a restart. A job with no schedule gets one (a cron is
   * needed then). The change is audited. Throws `ValidationError` for a bad expression
   * or zone, `NotFoundError` when there is no schedule and no cron, or when the job has
   * no schedule and is not defined in this process.
   */
  async update(job: string, change: { cron?: string; timezone?: string }): Promise<ScheduleInfo> {
    parse(updateSchema, change, 'schedule change')
    const store = await this.open()
    // a schedule no process would tick is a mistake, not a change
    if (!this.defined(job) && !(await storedSchedule(store, job)))
      throw new NotFoundError(`job '${job}' is not defined here and has no schedule`, { job })
    return updateSchedule(store, job, change)
  }
}
