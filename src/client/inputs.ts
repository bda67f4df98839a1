import { z } from 'zod'

/** A point in time given as a Date or an ISO string. */
export const dateSchema = z
  .union([z.date(), z.string()], 'expected a Date or an ISO date string')
  .transform((v) => new Date(v))
  .refine((d) => !Number.isNaN(d.getTime()), 'expected a valid date')

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
    job: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
