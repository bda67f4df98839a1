import { z } from 'zod'

/** A manual run's choice of day (`YYYY-MM-DD`, the day covered); none: the tick's day. */
export const dayPayload = z.object({ day: z.iso.date() }).strict().nullish()
/** A manual run's choice of month (`YYYY-MM`, the month covered); none: the tick's month. */
export const monthPayload = z
  .object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM') })
  .strict()
  .nullish()

export type DayPayload = z.infer<typeof dayPayload>
export type MonthPayload = z.infer<typeof monthPayload>

const DAY_MS = 86_400_000

/** A UTC day `[start, end)`, named `YYYY-MM-DD`. */
export interface Day {
  day: string
  start: Date
  end: Date
}

/** A UTC month `[start, end)`, named by its first day `YYYY-MM-01`. */
export interface Month {
  month: string
  start: Date
  end: Date
}

const dayOf = (t: Date): Day => {
  const start = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()))
  return { day: start.toISOString().slice(0, 10), start, end: new Date(+start + DAY_MS) }
}

const monthOf = (year: number, month0: number): Month => {
  const start = new Date(Date.UTC(year, month0, 1))
  return {
    month: start.toISOString().slice(0, 10),
    start,
    end: new Date(Date.UTC(year, month0 + 1, 1)),
  }
}

/**
 * The day a daily snapshot covers: the one named by the payload, else the day before
 * the run's reference time (its tick; a backfilled run's tick; a manual run's start),
 * so the 00:00 run captures the day that just ended.
 */
export function snapshotDay(payload: DayPayload, ref: Date): Day {
  if (payload) return dayOf(new Date(`${payload.day}T00:00:00Z`))
  return dayOf(new Date(+ref - DAY_MS))
}

/** The day a daily report covers: the payload's, else the reference time's own day (23:59 run). */
export function reportDay(payload: DayPayload, ref: Date): Day {
  return dayOf(payload ? new Date(`${payload.day}T00:00:00Z`) : ref)
}

/** The month a monthly summary covers: the payload's, else the month before the reference time's. */
export function summaryMonth(payload: MonthPayload, ref: Date): Month {
  if (payload) {
    const [y, m] = payload.month.split('-').map(Number) as [number, number]
    return monthOf(y, m - 1)
  }
  return monthOf(ref.getUTCFullYear(), ref.getUTCMonth() - 1)
}
