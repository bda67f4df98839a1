import { z } from 'zod'
import { nameFilter } from '../util/parse.js'

/** A point in time given as a Date or an ISO string. */
export const dateSchema = z
  .union([z.date(), z.string()], 'expected a Date or an ISO date string')
  .transform((v) => new Date(v))
  .refine((d) => !Number.isNaN(d.getTime()), 'expected a valid date')
  // Postgres's timestamptz, and croner, end long before JavaScript's dates do
  .refine((d) => {
    const y = d.getUTCFullYear()
    return y >= 1 && y <= 9999
  }, 'expected a year from 1 to 9999')

export const backfillSchema = z
  .object({
    from: dateSchema,
    to: dateSchema,
    concurrency: z.number().int().min(1).max(1000).optional(),
    payload: z.unknown().optional(),
  })
  .strict()
  .refine((r) => r.from.getTime() < r.to.getTime(), {
    message: 'must be after from',
    path: ['to'],
  })

export const auditSchema = z
  .object({
    job: nameFilter.optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
