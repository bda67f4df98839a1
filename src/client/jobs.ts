import { z } from 'zod'
import { type Issue, NotFoundError, ValidationError } from '../errors.js'
import type { KeepRule } from '../maintenance/retention.js'
import { storable, UNSTORABLE } from '../queue/enqueue.js'
import { type ActivitySeries, activitySeries } from '../queue/series.js'
import { activity, type Backlog, backlog, type JobActivity, knownJobs } from '../queue/stats.js'
import type { QueueStore } from '../queue/store.js'
import { listSchedules, type ScheduleInfo } from '../schedule/control.js'
import { compileCron } from '../schedule/cron.js'
import { parse } from '../util/parse.js'
import { getWatermark } from '../window/watermark.js'
import { validatePayload } from './job.js'
import type { ResolvedJob } from './resolve.js'
import { upcoming } from './schedules.js'

/** A job's options as this process defines them, in plain JSON terms. */
export interface JobDefinition {
  priority: number
  attempts: number
  backoff: { type: 'fixed' | 'exponential'; delayMs: number; maxDelayMs: number; jitter: number }
  timeoutMs: number | null
  concurrency: number
  /** runs each worker fetches ahead of its free slots */
  prefetch: number
  globalConcurrency: number | null
  rateLimit: { max: number; perMs: number } | null
  deadLetter: string | null
  /** retention of finished runs by state: kept while younger than `ageMs` and among the newest `count` (null: no such bound); completed `false` keeps none */
  keep: { completed: KeepRule | false; failed: KeepRule; cancelled: KeepRule }
  window: { lookbackMs: number; maxSpanMs: number | null } | null
  /** the schedule as the code declares it (the stored one may have changed at runtime) */
  schedule: {
    cron: string
    timezone: string
    overlap: string
    catchUp: string
    catchUpWindowMs: number
    startingDeadlineMs: number | null
    jitterMs: number
  } | null
  /** the payload's JSON Schema, when its Standard Schema can give one (zod, arktype…) */
  payloadSchema: Record<string, unknown> | null
}

/** What `tw.jobs.get` and `tw.jobs.list` tell of one job. */
export interface JobInfo {
  name: string
  /** null when this process does not define the job (it is known from the database) */
  definition: JobDefinition | null
  schedule: (ScheduleInfo & { next: Date[] }) | null
  /** windowed jobs: where the next window starts */
  watermark: Date | null
  backlog: Omit<Backlog, 'job'>
  /** the last 24 hours */
  recent: Omit<JobActivity, 'job' | 'lastRun'>
  lastRun: JobActivity['lastRun']
}

const DAY_MS = 86_400_000

function payloadSchemaOf(def: ResolvedJob): Record<string, unknown> | null {
  const std = def.payload?.['~standard'] as
    | { jsonSchema?: { input(o: { target: string }): Record<string, unknown> } }
    | undefined
  try {
    return std?.jsonSchema?.input({ target: 'draft-2020-12' }) ?? null
  } catch {
    // some schemas (transforms, custom checks) have no JSON form: the editor goes without
    return null
  }
}

/** The JSON description of a job definition. */
export function describe(def: ResolvedJob): JobDefinition {
  const s = def.schedule
  return {
    priority: def.priority,
    attempts: def.attempts,
    backoff: def.backoff,
    timeoutMs: def.timeoutMs,
    concurrency: def.concurrency,
    prefetch: def.prefetch,
    globalConcurrency: def.shared?.concurrency ?? null,
    rateLimit: def.shared?.rate ?? null,
    deadLetter: def.deadLetter,
    keep: { ...def.keep, completed: def.keepCompleted ? def.keep.completed : false },
    window: def.window
      ? { lookbackMs: def.window.lookbackMs, maxSpanMs: def.window.maxSpanMs }
      : null,
    schedule: s
      ? {
          cron: s.cron.cron,
          timezone: s.cron.timezone,
          overlap: s.overlap,
          catchUp: s.catchUp,
          catchUpWindowMs: s.catchUpWindowMs,
          startingDeadlineMs: s.startingDeadlineMs,
          jitterMs: s.jitterMs,
        }
      : null,
    payloadSchema: payloadSchemaOf(def),
  }
}

const activitySchema = z
  .object({
    job: z.string().min(1).optional(),
    hours: z.number().int().min(1).max(720).optional(),
    buckets: z.number().int().min(1).max(240).optional(),
  })
  .strict()

const NO_BACKLOG = { waiting: 0, delayed: 0, active: 0, oldestWaitingAt: null }

/** Jobs as operators see them: `tw.jobs`. */
export class Jobs {
  constructor(
    private readonly open: () => Promise<QueueStore>,
    private readonly defined: () => Map<string, ResolvedJob>,
  ) {}

  /** The jobs this process defines, as their code declares them; reads no database. */
  definitions(): Array<JobDefinition & { name: string }> {
    return [...this.defined().values()].map((def) => ({ name: def.name, ...describe(def) }))
  }

  /** Every job defined here or known to the database, by name. */
  async list(): Promise<JobInfo[]> {
    const store = await this.open()
    const names = new Set([...this.defined().keys(), ...(await knownJobs(store))])
    return this.#describe(store, [...names].sort())
  }

  /** One job. Throws `NotFoundError` when neither this process nor the database knows it. */
  async get(name: string): Promise<JobInfo> {
    const store = await this.open()
    if (!this.defined().has(name) && !(await knownJobs(store)).includes(name))
      throw new NotFoundError(`job '${name}' is not known`, { job: name })
    return (await this.#describe(store, [name]))[0] as JobInfo
  }

  /**
   * Finished runs per job over the last `hours` (default 24, at most 720) in `buckets`
   * equal parts (default 24, at most 240), aligned to whole buckets so that repeated
   * reads line up: completed, failed and cancelled counts, and the mean and longest run
   * time. Every known job, or one. Throws `ValidationError` for a bad option.
   */
  async activity(options: { job?: string; hours?: number; buckets?: number } = {}): Promise<{
    from: Date
    to: Date
    bucketMs: number
    jobs: ActivitySeries[]
  }> {
    const o = parse(activitySchema, options, 'activity options')
    const count = o.buckets ?? 24
    const bucketMs = Math.ceil(((o.hours ?? 24) * 3_600_000) / count)
    const store = await this.open()
    const to = new Date(Math.ceil((store.clock.now() + 1) / bucketMs) * bucketMs)
    const names = o.job ? [o.job] : await knownJobs(store)
    const jobs = await activitySeries(store, names, { to, bucketMs, count })
    return { from: new Date(to.getTime() - bucketMs * count), to, bucketMs, jobs }
  }

  /**
   * Checks a payload against a job's payload schema without enqueuing it: the issues
   * each name their path, as enqueue's `ValidationError` would. Throws `NotFoundError`
   * for a job not defined in this process (its schema lives in the code).
   */
  async validate(name: string, payload: unknown): Promise<{ valid: boolean; issues: Issue[] }> {
    const def = this.defined().get(name)
    if (!def) throw new NotFoundError(`job '${name}' is not defined here`, { job: name })
    try {
      const value = await validatePayload(def, payload, '')
      if (storable(value ?? null) === undefined)
        return { valid: false, issues: [{ path: '', message: UNSTORABLE }] }
      return { valid: true, issues: [] }
    } catch (err) {
      if (err instanceof ValidationError) return { valid: false, issues: err.issues }
      throw err
    }
  }

  async #describe(store: QueueStore, names: string[]): Promise<JobInfo[]> {
    const defs = this.defined()
    const now = store.clock.now()
    const [schedules, live, recent] = await Promise.all([
      listSchedules(store),
      backlog(store),
      activity(store, names, new Date(now - DAY_MS)),
    ])
    const byJob = <T extends { job: string }>(xs: T[]) => new Map(xs.map((x) => [x.job, x]))
    const sched = byJob(schedules)
    const queued = byJob(live)
    const act = byJob(recent)
    return Promise.all(
      names.map(async (name): Promise<JobInfo> => {
        const def = defs.get(name)
        const s = sched.get(name)
        const a = act.get(name)
        const { job: _j, ...b } = queued.get(name) ?? { job: name, ...NO_BACKLOG }
        return {
          name,
          definition: def ? describe(def) : null,
          schedule: s
            ? {
                ...s,
                next: upcoming(compileCron(s.cron, s.timezone), now, s, 5),
              }
            : null,
          watermark: await getWatermark(store, name),
          backlog: b,
          recent: {
            completed: a?.completed ?? 0,
            failed: a?.failed ?? 0,
            successRate: a?.successRate ?? null,
            meanDurationMs: a?.meanDurationMs ?? null,
          },
          lastRun: a?.lastRun ?? null,
        }
      }),
    )
  }
}
