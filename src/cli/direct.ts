import type { Tickwork } from '../client/tickwork.js'
import { NotFoundError } from '../errors.js'
import { UsageError } from './errors.js'
import type { Operator } from './operator.js'
import { wire } from './output.js'

/**
 * The operator that works on the database through a `Tickwork`: the config module's,
 * or a bare one when there is none (then only what needs no job definition works).
 * `missing` says why definitions are absent, for the commands that need them.
 */
export function directOperator(
  tw: Tickwork,
  target: string,
  missing: string | undefined,
  grace: number,
): Operator {
  const defined = (what: string) => {
    if (missing) throw new UsageError(`${what} needs the job's definition, but ${missing}`)
  }
  const run = async (id: string) => {
    const r = await tw.runs.get(id)
    if (!r) throw new NotFoundError(`run ${id} does not exist`, { id })
    return wire(r)
  }
  return {
    target,
    jobs: async () => wire(await tw.jobs.list()),
    job: async (name) => wire(await tw.jobs.get(name)),
    runs: async (filter) => wire(await tw.runs.list(filter)),
    run,
    trigger: async (job, payload, wait) => {
      defined('trigger')
      return wire(await tw.trigger(job, payload, { wait }))
    },
    retry: async (id) => wire(await tw.runs.retry(id)),
    retryFailed: (f) => tw.runs.retryFailed(f),
    cancel: async (id) => wire(await tw.runs.cancel(id)),
    pause: async (job) => wire(await tw.pause(job)),
    resume: async (job) => wire(await tw.resume(job)),
    updateSchedule: async (job, change) => wire(await tw.schedules.update(job, change)),
    next: async (job, n) => wire(await tw.schedules.next(job, n)),
    watermark: async (job) => wire(await tw.watermark.get(job)),
    setWatermark: async (job, value) => {
      defined('setting the watermark')
      await tw.watermark.set(job, value)
      return wire(await tw.watermark.get(job))
    },
    backfill: async (job, range) => {
      defined('backfill')
      return wire(await (await tw.backfill(job, range)).status())
    },
    waitBackfill: async (id, onProgress) =>
      wire(await (await tw.getBackfill(id)).wait({ onProgress: (s) => onProgress(wire(s)) })),
    locks: async () => wire(await tw.lock.list()),
    clearLock: (name) => tw.lock.clear(name),
    work: async () => {
      defined('--work')
      // the scheduler stays off: ticks are the deployment's business, not a backfill's
      await tw.start({ scheduler: false, maintenance: false })
    },
    close: () => tw.stop({ grace }),
  }
}
