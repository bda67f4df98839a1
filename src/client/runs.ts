import { z } from 'zod'
import { ValidationError } from '../errors.js'
import { cancelRun } from '../queue/cancel.js'
import { countRuns, getRun, getRunByKey, listRuns } from '../queue/inspect.js'
import { retryFailed, retryOne } from '../queue/retry.js'
import { type Backlog, backlog } from '../queue/stats.js'
import type { QueueStore } from '../queue/store.js'
import { RUN_STATES, type Run, type RunCounts, type RunState } from '../queue/types.js'
import { nameFilter } from '../util/parse.js'
import { dateSchema } from './inputs.js'

const runId = z
  .string()
  .regex(/^\d{1,19}$/, 'expected a run id (digits)')
  .refine(
    (id) => !/^\d+$/.test(id) || BigInt(id) <= 9_223_372_036_854_775_807n,
    'expected a run id (digits)',
  )

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  throw new ValidationError(
    `invalid ${what}`,
    r.error.issues.map((i) => ({
      path: i.path.length ? i.path.join('.') : what,
      message: i.message,
    })),
  )
}

const listSchema = z
  .object({
    job: nameFilter.optional(),
    state: z.enum(RUN_STATES).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    cursor: runId.optional(),
    summary: z.boolean().optional(),
  })
  .strict()

const retrySchema = z
  .object({
    job: nameFilter.optional(),
    from: dateSchema.optional(),
    to: dateSchema.optional(),
  })
  .strict()

/** Inspect and steer runs: `tw.runs`. */
export class Runs {
  constructor(private readonly store: () => Promise<QueueStore>) {}

  /** A run by id, live or finished; `undefined` when none. Throws `ValidationError` for a malformed id. */
  async get(id: string): Promise<Run | undefined> {
    return getRun(await this.store(), check(runId, id, 'id'))
  }

  /** The newest run of `job` enqueued with idempotency key `key`; `undefined` when none. */
  async getByKey(job: string, key: string): Promise<Run | undefined> {
    return getRunByKey(await this.store(), job, key)
  }

  /**
   * A page of runs, newest first; pass the answer's `next` as `cursor` for the next
   * page. `limit` defaults to 50 (at most 1000). With `summary`, runs come without
   * payload, result, progress and error stacks (null, absent): for lists. Throws
   * `ValidationError` for a bad filter.
   */
  async list(
    filter: {
      job?: string
      state?: RunState
      limit?: number
      cursor?: string
      summary?: boolean
    } = {},
  ) {
    const f = check(listSchema, filter, 'filter')
    return listRuns(await this.store(), { ...f, limit: f.limit ?? 50 })
  }

  /** Runs by state, of one job or of all. */
  async counts(job?: string): Promise<RunCounts> {
    return countRuns(await this.store(), job)
  }

  /** Live runs per job (waiting, delayed, active, oldest due), for every job with any: cheap, for metrics. */
  async backlog(): Promise<Backlog[]> {
    return backlog(await this.store())
  }

  /**
   * Puts a failed run back in the queue now, attempts reset, past errors kept; returns
   * it as it now stands. Throws `NotFoundError` for an unknown id, `ConflictError` when
   * the run is not failed.
   */
  async retry(id: string): Promise<Run> {
    const store = await this.store()
    await retryOne(store, check(runId, id, 'id'))
    return (await getRun(store, id)) as Run
  }

  /** Puts back every failed run matching the filter (job, failed within [from, to)); returns their ids. */
  async retryFailed(
    filter: { job?: string; from?: Date | string; to?: Date | string } = {},
  ): Promise<string[]> {
    return retryFailed(await this.store(), check(retrySchema, filter, 'filter'))
  }

  /**
   * Cancels a waiting, delayed or active run; an active handler sees its signal
   * abort. Returns the cancelled run. Throws `NotFoundError` for an unknown id,
   * `ConflictError` for a finished run.
   */
  async cancel(id: string): Promise<Run> {
    const store = await this.store()
    await cancelRun(store, check(runId, id, 'id'))
    // filed into the history with the cancel: it is there to read
    return (await getRun(store, id)) as Run
  }
}
