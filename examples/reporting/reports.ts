import type { Queryable } from 'tickwork'
import type { Day, Month } from './periods.js'

/** The three report tables. */
export type ReportTable = 'daily_snapshots' | 'daily_reports' | 'monthly_summaries'

/** One user's figures for a period, as the database computed them (sums as strings). */
export interface ReportRow {
  user_id: number
  [figure: string]: unknown
}

/** A report: its table, the column naming its period, its figures, how they are computed. */
export interface Report<P> {
  table: ReportTable
  period: 'day' | 'month'
  figures: string[]
  /** Every user's row for `period` (users signed up by its end), by user id, in one statement. */
  compute(db: Queryable, s: string, period: P): Promise<ReportRow[]>
}

// transactions up to $2, signed (+income, -expense); $1 starts the period
const SIGNED = (s: string) => `SELECT user_id, at, kind, category, pocket, amount_cents,
    CASE WHEN kind = 'income' THEN amount_cents ELSE -amount_cents END AS signed
  FROM ${s}.transactions WHERE at < $2`
// net per category of each user within the period
const BY_CATEGORY = `SELECT user_id, jsonb_object_agg(category, cents) AS by_category
  FROM (SELECT user_id, category, SUM(signed) AS cents FROM x WHERE at >= $1
        GROUP BY user_id, category) g GROUP BY user_id`
const FLOWS = `COALESCE(SUM(amount_cents) FILTER (WHERE at >= $1 AND kind = 'income'), 0) AS income_cents,
    COALESCE(SUM(amount_cents) FILTER (WHERE at >= $1 AND kind = 'expense'), 0) AS expense_cents`

/** The columns `balances` gives every report built on it. */
const BALANCE_FIGURES = [
  'opening_cents',
  'income_cents',
  'expense_cents',
  'closing_cents',
  'tx_count',
  'by_category',
]

/**
 * Each user's opening and closing balance, income, expenses, count and net per category
 * for the period from $1 to $2, plus the report's own `sum` (its leading comma included)
 * and `select` columns; users signed up before the parameter `usersBefore`.
 */
const balances = (s: string, own: { sum?: string; select: string; usersBefore: string }) =>
  `WITH x AS (${SIGNED(s)}),
     sums AS (SELECT user_id, COALESCE(SUM(signed) FILTER (WHERE at < $1), 0) AS opening_cents,
                ${FLOWS}, COALESCE(SUM(signed), 0) AS closing_cents,
                COUNT(*) FILTER (WHERE at >= $1) AS tx_count${own.sum ?? ''}
              FROM x GROUP BY user_id),
     cats AS (${BY_CATEGORY})
   SELECT u.id AS user_id, COALESCE(opening_cents, 0) AS opening_cents,
     COALESCE(income_cents, 0) AS income_cents, COALESCE(expense_cents, 0) AS expense_cents,
     COALESCE(closing_cents, 0) AS closing_cents, COALESCE(tx_count, 0) AS tx_count,
     COALESCE(by_category, '{}'::jsonb) AS by_category, ${own.select}
   FROM ${s}.users u LEFT JOIN sums ON sums.user_id = u.id
     LEFT JOIN cats ON cats.user_id = u.id
   WHERE u.created_at < ${own.usersBefore} ORDER BY u.id`

async function rows(db: Queryable, text: string, params: unknown[]): Promise<ReportRow[]> {
  return (await db.query<ReportRow>(text, params)).rows
}

/**
 * The balance state of each user at the end of the day (the whole day): total and per
 * pocket, with the day's income, expenses and transaction count.
 */
export const snapshots: Report<Day> = {
  table: 'daily_snapshots',
  period: 'day',
  figures: ['balance_cents', 'by_pocket', 'day_income_cents', 'day_expense_cents', 'day_tx_count'],
  compute: (db, s, day) =>
    rows(
      db,
      `WITH x AS (${SIGNED(s)}),
         sums AS (SELECT user_id, COALESCE(SUM(signed), 0) AS balance_cents, ${FLOWS},
                    COUNT(*) FILTER (WHERE at >= $1) AS day_tx_count
                  FROM x GROUP BY user_id),
         pockets AS (SELECT user_id, jsonb_object_agg(pocket, cents) AS by_pocket
                     FROM (SELECT user_id, pocket, SUM(signed) AS cents FROM x
                           GROUP BY user_id, pocket) g GROUP BY user_id)
       SELECT u.id AS user_id, COALESCE(balance_cents, 0) AS balance_cents,
         COALESCE(by_pocket, '{}'::jsonb) AS by_pocket,
         COALESCE(income_cents, 0) AS day_income_cents,
         COALESCE(expense_cents, 0) AS day_expense_cents,
         COALESCE(day_tx_count, 0) AS day_tx_count
       FROM ${s}.users u LEFT JOIN sums ON sums.user_id = u.id
         LEFT JOIN pockets ON pockets.user_id = u.id
       WHERE u.created_at < $2 ORDER BY u.id`,
      [day.start, day.end],
    ),
}

/**
 * Each user's report of the day as of 23:59 UTC, when the original ran it: opening
 * balance, income, expenses, closing balance, count and net per category. From the
 * transactions, not from the previous day's report, so days may be built in any order.
 */
export const dailyReports: Report<Day> = {
  table: 'daily_reports',
  period: 'day',
  figures: [...BALANCE_FIGURES, 'as_of'],
  compute: (db, s, day) =>
    rows(db, balances(s, { select: '$2::timestamptz AS as_of', usersBefore: '$3' }), [
      day.start,
      new Date(+day.start + (23 * 60 + 59) * 60_000),
      day.end,
    ]),
}

/**
 * Each user's summary of the month: opening and closing balance, income, expenses,
 * count, net per category and days with activity, from the month's transactions (whole
 * days, so the last minute of each day, which the 23:59 reports cannot see, counts).
 */
export const monthlySummaries: Report<Month> = {
  table: 'monthly_summaries',
  period: 'month',
  figures: [...BALANCE_FIGURES, 'active_days'],
  compute: (db, s, month) =>
    rows(
      db,
      balances(s, {
        sum: `, COUNT(DISTINCT (at AT TIME ZONE 'UTC')::date) FILTER (WHERE at >= $1) AS active_days`,
        select: 'COALESCE(active_days, 0) AS active_days',
        usersBefore: '$2',
      }),
      [month.start, month.end],
    ),
}

/**
 * Upserts one user's row of `report` for `period`. The row is rewritten only when one
 * of its figures differs, so re-running a period leaves an unchanged row untouched
 * (same `updated_at`, same `run_id`): "a second backfill changes nothing" can be
 * checked. Returns whether it wrote. Throws the driver's error.
 */
export async function writeRow<P>(
  db: Queryable,
  s: string,
  report: Report<P>,
  period: string,
  row: ReportRow,
  runId: string,
): Promise<boolean> {
  const f = report.figures
  const list = (prefix: string) => f.map((c) => `${prefix}${c}`).join(', ')
  const values = f.map((c) => (c.startsWith('by_') ? JSON.stringify(row[c]) : row[c]))
  const { rows } = await db.query(
    `INSERT INTO ${s}.${report.table} AS r (user_id, ${report.period}, ${list('')}, run_id, updated_at)
     VALUES ($1, $2, ${f.map((_, i) => `$${i + 3}`).join(', ')}, $${f.length + 3}, now())
     ON CONFLICT (user_id, ${report.period}) DO UPDATE
       SET ${f.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
         run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at
       WHERE (${list('r.')}) IS DISTINCT FROM (${list('EXCLUDED.')})
     RETURNING user_id`,
    [row.user_id, period, ...values, runId],
  )
  return rows.length > 0
}
