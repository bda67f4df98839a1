import { z } from 'zod'
import { countItems, type Item, listItems } from '../items/query.js'
import type { QueueStore } from '../queue/store.js'
import { nameFilter, parse } from '../util/parse.js'
import { dateSchema } from './inputs.js'

const date = dateSchema

const filterSchema = z
  .object({
    run: z
      .string()
      .regex(/^\d{1,18}$/, 'expected a run id (digits)')
      .optional(),
    job: nameFilter.optional(),
    ok: z.boolean().optional(),
    from: date.optional(),
    to: date.optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()

/** The item log: per-item outcomes recorded by `ctx.items.each`. Made as `tw.items`. */
export class ItemLog {
  constructor(private readonly open: () => Promise<QueueStore>) {}

  /**
   * Items newest first: those of one run (`run`), or one job's failures in a time
   * range (`job`, `ok: false`, `from`, `to`). `limit` defaults to 100. Throws
   * `ValidationError` for a bad filter.
   */
  async list(filter: {
    run?: string
    job?: string
    ok?: boolean
    from?: Date | string
    to?: Date | string
    limit?: number
  }): Promise<Item[]> {
    const f = parse(filterSchema, filter, 'item filter')
    return listItems(await this.open(), { ...f, limit: f.limit ?? 100 })
  }

  /**
   * How many of a run's items ended ok and how many failed, all of them counted.
   * Throws `ValidationError` for an id that is not a run id.
   */
  async counts(run: string): Promise<{ ok: number; failed: number }> {
    const f = parse(filterSchema.pick({ run: true }).required(), { run }, 'item filter')
    return countItems(await this.open(), f.run)
  }
}
