import { type Item, type Tickwork, ValidationError } from 'tickwork'

/** Why a record is skipped rather than failed: nothing to retry until the data changes. */
export type SkipReason = 'DocumentNotFound' | 'UnknownVcType' | 'MalformedRecord'

/** The skip reasons, as error names in the item log. */
export const SKIP_REASONS: ReadonlySet<string> = new Set<SkipReason>([
  'DocumentNotFound',
  'UnknownVcType',
  'MalformedRecord',
])

/** One line of the success rate: an outcome, how many records had it, and their share. */
export interface SuccessRateRow {
  status: 'processed' | 'skipped' | 'failed'
  count: number
  /** share of all records in the period, in percent, to 2 decimals */
  percentage: number
}

/** The outcome an item of the log stands for. */
export const statusOf = (item: Pick<Item, 'ok' | 'error'>): SuccessRateRow['status'] =>
  item.ok ? 'processed' : SKIP_REASONS.has(item.error?.name ?? '') ? 'skipped' : 'failed'

const PAGE = 10_000

/**
 * The legacy "success rate" query on tickwork's item log: the records of `job` whose
 * latest outcome was recorded in the last `hours` (by the instance's clock), counted per
 * outcome with their percentage, most frequent first. Pages through `tw.items.list` by
 * time; throws `Error` if more than 10,000 outcomes share one millisecond (the page
 * could not move on), and `ValidationError` for a bad `hours`.
 */
export async function successRate(
  tw: Tickwork,
  job: string,
  hours = 24,
): Promise<SuccessRateRow[]> {
  if (!(hours > 0))
    throw new ValidationError('invalid success-rate period', [
      { path: 'hours', message: 'must be above 0' },
    ])
  const from = new Date(tw.now() - hours * 3_600_000)
  const counts = new Map<SuccessRateRow['status'], number>()
  let to: Date | undefined
  for (;;) {
    const page = await tw.items.list({ job, from, ...(to ? { to } : {}), limit: PAGE })
    const last = page.at(-1)
    const full = page.length === PAGE && last !== undefined
    // a full page may cut through the items of its oldest millisecond: leave those to
    // the next page, which starts at that millisecond
    const oldest = last?.at.getTime() ?? 0
    const taken = full ? page.filter((i) => i.at.getTime() > oldest) : page
    if (full && taken.length === 0)
      throw new Error('more than 10000 item outcomes in one millisecond: cannot page through')
    for (const item of taken) {
      const s = statusOf(item)
      counts.set(s, (counts.get(s) ?? 0) + 1)
    }
    if (!full) break
    to = new Date(oldest + 1)
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0)
  return [...counts]
    .map(([status, count]) => ({
      status,
      count,
      percentage: Math.round((10_000 * count) / total) / 100,
    }))
    .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status))
}
