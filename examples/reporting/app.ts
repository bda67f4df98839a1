import type { Duration, Job, RunContext, StandardSchemaV1, Tickwork } from 'tickwork'
import { checkReportingOptions, type ReportingOptions } from './env.js'
import {
  type DayPayload,
  dayPayload,
  type MonthPayload,
  monthPayload,
  reportDay,
  snapshotDay,
  summaryMonth,
} from './periods.js'
import {
  dailyReports,
  monthlySummaries,
  type Report,
  type ReportTable,
  snapshots,
  writeRow,
} from './reports.js'
import { type SeedOptions, seedActivity } from './seed.js'

export type { ReportingOptions } from './env.js'
export type { ReportTable } from './reports.js'

/** What one report run did, kept as its result. */
export interface ReportResult {
  /** the day (`YYYY-MM-DD`) or month (`YYYY-MM-01`) covered */
  period: string
  users: number
  ok: number
  failed: number
  /** done by an earlier attempt of the same tick (the item log) */
  skipped: number
  /** rows written or rewritten; 0 when the period was already as computed */
  changed: number
}

/** A report table's state, for proving that a re-run changed nothing. */
export interface TableFingerprint {
  rows: number
  /** md5 over every column of every row (figures, run_id, updated_at) */
  checksum: string
  lastUpdated: Date | null
}

/** The installed app: its jobs and its reads. */
export interface ReportingApp {
  schema: string
  jobs: {
    dailySnapshot: Job<DayPayload>
    dailyReport: Job<DayPayload>
    monthlySummary: Job<MonthPayload>
  }
  /** Seeds demo users and activity (see `seedActivity`). Throws `ValidationError`. */
  seed(options: SeedOptions): Promise<void>
  /**
   * The rows of `table` for one period (`YYYY-MM-DD`; a month by its first day), by user;
   * money in cents as numbers, JSON breakdowns as objects. Throws `TypeError` for an
   * unknown table, and the driver's error.
   */
  rows(table: ReportTable, period: string): Promise<Record<string, unknown>[]>
  /** Row count, checksum and newest `updated_at` of each report table. */
  fingerprint(): Promise<Record<ReportTable, TableFingerprint>>
}

const TABLES: ReportTable[] = ['daily_snapshots', 'daily_reports', 'monthly_summaries']

function ddl(s: string): string {
  const money = (cols: string[]) => cols.map((c) => `${c} bigint NOT NULL`).join(', ')
  const stamp = `run_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL`
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.users (
      id int PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.transactions (
      id bigint PRIMARY KEY, user_id int NOT NULL REFERENCES ${s}.users (id),
      at timestamptz NOT NULL, kind text NOT NULL CHECK (kind IN ('income', 'expense')),
      category text NOT NULL, pocket text NOT NULL, amount_cents bigint NOT NULL CHECK (amount_cents > 0));
    CREATE INDEX IF NOT EXISTS transactions_user_at ON ${s}.transactions (user_id, at);
    CREATE TABLE IF NOT EXISTS ${s}.daily_snapshots (
      user_id int NOT NULL REFERENCES ${s}.users (id), day date NOT NULL,
      ${money(['balance_cents', 'day_income_cents', 'day_expense_cents'])},
      by_pocket jsonb NOT NULL, day_tx_count int NOT NULL, ${stamp}, PRIMARY KEY (user_id, day));
    CREATE TABLE IF NOT EXISTS ${s}.daily_reports (
      user_id int NOT NULL REFERENCES ${s}.users (id), day date NOT NULL,
      ${money(['opening_cents', 'income_cents', 'expense_cents', 'closing_cents'])},
      tx_count int NOT NULL, by_category jsonb NOT NULL, as_of timestamptz NOT NULL, ${stamp},
      PRIMARY KEY (user_id, day));
    CREATE TABLE IF NOT EXISTS ${s}.monthly_summaries (
      user_id int NOT NULL REFERENCES ${s}.users (id), month date NOT NULL,
      ${money(['opening_cents', 'income_cents', 'expense_cents', 'closing_cents'])},
      tx_count int NOT NULL, active_days int NOT NULL, by_category jsonb NOT NULL, ${stamp},
      PRIMARY KEY (user_id, month));
    CREATE TABLE IF NOT EXISTS ${s}.seeds (
      users int NOT NULL, from_day date NOT NULL, to_day date NOT NULL,
      PRIMARY KEY (users, from_day, to_day));`
}

/** The schedules' shared policy: one run per tick; days missed while down are caught up. */
const schedule = (cron: string, catchUpWindow: string) =>
  ({ cron, timezone: 'UTC', overlap: 'skip', catchUp: 'all', catchUpWindow }) as const

/**
 * Creates the app's tables in `options.schema` (idempotent; processes starting at once
 * serialise on an advisory lock) and defines its three jobs on `tw`: `daily-snapshot`
 * (00:00 UTC, the day that ended, 30 min), `daily-report` (23:59 UTC, that day, 30 min)
 * and `monthly-summary` (00:01 UTC on the 1st, the month that ended, 60 min). Each
 * walks every user in batches through the item log and upserts one row per user.
 * Call before `tw.start()`. Throws `ValidationError` for bad options, `StateError`
 * after start, `ConflictError` when the jobs are already defined, and the driver's error.
 */
export async function installReporting(
  tw: Tickwork,
  options: ReportingOptions = {},
): Promise<ReportingApp> {
  const o = checkReportingOptions(options)
  const s = o.schema
  const retry = { attempts: 3, backoff: 'exponential', delay: '1m' } as const

  /** Computes `report` for every user at once, then upserts each user's row in its own transaction. */
  async function build<P>(
    ctx: RunContext<unknown>,
    report: Report<P>,
    name: string,
    period: P,
  ): Promise<ReportResult> {
    const rows = await tw.transaction((tx) => report.compute(tx, s, period))
    ctx.log.info(
      { period: name, users: rows.length },
      `${report.table} for ${name}: ${rows.length} users`,
    )
    let changed = 0
    const counts = await ctx.items.each(
      rows,
      { key: (r) => String(r.user_id), batchSize: o.batchSize, failRun: 'any' },
      async (row) => {
        const wrote = await tw.transaction(async (tx) => {
          // a report row can be recomputed, and the item log's own (synchronous) commit
          // after the batch flushes the WAL past these: no fsync wait per user
          await tx.query('SET LOCAL synchronous_commit = off')
          return writeRow(tx, s, report, name, row, ctx.run.id)
        })
        if (wrote) changed++
      },
    )
    return {
      period: name,
      users: counts.total,
      ok: counts.ok,
      failed: counts.failed,
      skipped: counts.skipped,
      changed,
    }
  }

  await tw.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tickwork-example:${s}`])
    await tx.exec(ddl(s))
  })

  /** A scheduled report job: `report` over the period `periodOf` picks from the payload or the tick. */
  function reportJob<T, P>(
    name: string,
    spec: {
      payload: StandardSchemaV1<unknown, T>
      cron: string
      catchUpWindow: string
      timeout: Duration
      report: Report<P>
      periodOf: (payload: T, ref: Date) => P
      nameOf: (period: P) => string
    },
  ): Job<T> {
    return tw.job(name, {
      payload: spec.payload,
      schedule: schedule(spec.cron, spec.catchUpWindow),
      timeout: spec.timeout,
      retry,
      concurrency: o.concurrency,
      run: (ctx) => {
        // a manual run has no tick: its period is counted from when it started
        const period = spec.periodOf(ctx.payload, ctx.run.tick ?? ctx.run.runAt)
        return build(ctx, spec.report, spec.nameOf(period), period)
      },
    })
  }
  const dailySnapshot = reportJob('daily-snapshot', {
    payload: dayPayload,
    cron: '0 0 * * *',
    catchUpWindow: '7d',
    timeout: '30m',
    report: snapshots,
    periodOf: snapshotDay,
    nameOf: (d) => d.day,
  })
  const dailyReport = reportJob('daily-report', {
    payload: dayPayload,
    cron: '59 23 * * *',
    catchUpWindow: '7d',
    timeout: '30m',
    report: dailyReports,
    periodOf: reportDay,
    nameOf: (d) => d.day,
  })
  const monthlySummary = reportJob('monthly-summary', {
    payload: monthPayload,
    cron: '1 0 1 * *',
    catchUpWindow: '40d',
    timeout: '60m',
    report: monthlySummaries,
    periodOf: summaryMonth,
    nameOf: (m) => m.month,
  })

  return {
    schema: s,
    jobs: { dailySnapshot, dailyReport, monthlySummary },
    seed: (seed) => seedActivity(tw, s, seed),
    async rows(table, period) {
      if (!TABLES.includes(table)) throw new TypeError(`unknown report table ${table}`)
      const key = table === 'monthly_summaries' ? 'month' : 'day'
      const { rows } = await tw.transaction((tx) =>
        tx.query<Record<string, unknown>>(
          `SELECT * FROM ${s}.${table} WHERE ${key} = $1::date ORDER BY user_id`,
          [period],
        ),
      )
      return rows.map((r) => {
        const out: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(r)) {
          if (k === key) out[k] = period
          else if (k.endsWith('_cents') || k.endsWith('_count') || k === 'active_days')
            out[k] = Number(v)
          else out[k] = v
        }
        return out
      })
    },
    async fingerprint() {
      const entries = await tw.transaction(async (tx) => {
        const out: Array<[ReportTable, TableFingerprint]> = []
        for (const t of TABLES) {
          const { rows } = await tx.query<{ n: number; sum: string | null; last: Date | null }>(
            `SELECT COUNT(*)::int AS n, md5(COALESCE(string_agg(r::text, '|' ORDER BY r::text), '')) AS sum,
               MAX(updated_at) AS last
             FROM ${s}.${t} AS r`,
          )
          const row = rows[0] as { n: number; sum: string; last: Date | null }
          out.push([t, { rows: row.n, checksum: row.sum, lastUpdated: row.last }])
        }
        return out
      })
      return Object.fromEntries(entries) as Record<ReportTable, TableFingerprint>
    },
  }
}
