import { z } from 'zod'
import {
  type BackfillStatus,
  backfillStatus,
  cancelBackfill,
  countTicks,
  createBackfill,
  listBackfills,
  runningBackfills,
} from '../backfill/backfill.js'
import { topUpBackfill } from '../backfill/topup.js'
import { NotFoundError, ValidationError } from '../errors.js'
import { storable, UNSTORABLE } from '../queue/enqueue.js'
import type { QueueStore } from '../queue/store.js'
import { parse } from '../util/parse.js'
import { Backfill } from './backfill.js'
import { backfillSchema } from './inputs.js'
import { validatePayload } from './job.js'
import type { ResolvedJob } from './resolve.js'
import { scheduleOf } from './schedules.js'

const listSchema = z
  .object({
    job: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict()

/** What the backfills need from their `Tickwork`. */
export interface BackfillsHost {
  open(): Promise<QueueStore>
  /** the job defined here; throws `NotFoundError` otherwise */
  defined(job: string): ResolvedJob
  /** the names of the jobs defined here */
  jobs(): string[]
  now(): number
  /** runs were enqueued: the local worker may take them at once */
  wake(): void
}

/** Starts, follows and carries on backfills for a `Tickwork`. */
export class Backfills {
  constructor(private readonly host: BackfillsHost) {}

  /** See `Tickwork.backfill`. */
  async start(
    name: string,
    range: { from: Date | string; to: Date | string; concurrency?: number; payload?: unknown },
  ): Promise<Backfill> {
    const def = this.host.defined(name)
    const r = parse(backfillSchema, range, 'backfill')
    if (r.to.getTime() > this.host.now())
      throw new ValidationError('invalid backfill range', [
        { path: 'to', message: 'must not be in the future: the schedule runs those ticks' },
      ])
    // without one, runs get the payload the schedule's own runs have: none
    const payload =
      r.payload === undefined ? null : await validatePayload(def, r.payload, 'payload')
    if (storable(payload ?? null) === undefined)
      throw new ValidationError('invalid payload', [{ path: 'payload', message: UNSTORABLE }])
    const store = await this.host.open()
    const cron = await scheduleOf(store, def.name, def)
    const id = await createBackfill(store, {
      job: name,
      cron,
      from: r.from,
      to: r.to,
      total: countTicks(cron, r.from, r.to),
      concurrency: r.concurrency ?? 5,
      payload,
    })
    await this.#topUp(store, id)
    return this.#handle(id)
  }

  /** See `Tickwork.getBackfill`. */
  async get(id: string): Promise<Backfill> {
    await this.#status(await this.host.open(), id)
    return this.#handle(id)
  }

  /** See `Tickwork.listBackfills`. */
  async list(filter: { job?: string; limit?: number } = {}): Promise<BackfillStatus[]> {
    const f = parse(listSchema, filter, 'filter')
    return listBackfills(await this.host.open(), { job: f.job, limit: f.limit ?? 50 })
  }

  /**
   * Tops up every running backfill of the jobs defined here (the scheduler's store,
   * open); a failing one is reported to `onError` and does not hold up the others.
   */
  async topUpAll(store: QueueStore, onError: (err: Error) => void): Promise<void> {
    for (const b of await runningBackfills(store, this.host.jobs())) {
      await this.#topUp(store, b.id).catch(onError)
    }
  }

  #handle(id: string): Backfill {
    return new Backfill(id, {
      status: async (b) => this.#status(await this.host.open(), b),
      topUp: async (b) => this.#topUp(await this.host.open(), b),
      cancel: async (b) => cancelBackfill(await this.host.open(), b),
    })
  }

  async #status(store: QueueStore, id: string): Promise<BackfillStatus> {
    const status = /^\d{1,18}$/.test(id) ? await backfillStatus(store, id) : undefined
    if (!status) throw new NotFoundError(`backfill ${id} not found`, { id })
    return status
  }

  async #topUp(store: QueueStore, id: string): Promise<void> {
    const jobOf = (job: string) =>
      this.host.jobs().includes(job) ? this.host.defined(job) : undefined
    if ((await topUpBackfill(store, id, jobOf)) > 0) this.host.wake()
  }
}
