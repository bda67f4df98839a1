import { fileURLToPath } from 'node:url'
import pino from 'pino'
import type { Run, Tickwork } from 'tickwork'
import { TimeoutError, ValidationError } from 'tickwork'
import { describe, expect, it } from 'vitest'
import { cli } from '../../test/cli/cli.js'
import { freshSchema, makeTickwork, manualClock, pgClient, until } from '../../test/helpers.js'
import { installReporting, type ReportTable } from './app.js'
import { reportingOptionsFromEnv } from './env.js'

const db = await pgClient()
const at = (iso: string) => Date.parse(iso)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A Tickwork on a manual clock with the app installed on a fresh schema, its batch log lines kept. */
async function setup(start: string, seed: { users: number; from: string; to: string }) {
  const clock = manualClock(at(start))
  const lines: Array<{ msg: string; job?: string; runId?: string }> = []
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) })
  const tw = makeTickwork({ clock, logger, poolSize: 8 })
  const app = await installReporting(tw, { schema: freshSchema(), concurrency: 4 })
  await app.seed(seed)
  return { clock, tw, app, lines, s: app.schema }
}

/** The only run of `job`, once it has ended. */
async function onlyRun(tw: Tickwork, job: string): Promise<Run> {
  await until(async () => {
    const c = await tw.runs.counts(job)
    return c.completed + c.failed > 0
  })
  const { runs } = await tw.runs.list({ job })
  expect(runs).toHaveLength(1)
  return runs[0] as Run
}

interface Tx {
  user_id: number
  at: Date
  kind: string
  category: string
  pocket: string
  amount_cents: number
}

async function transactions(s: string): Promise<Tx[]> {
  const { rows } = await db.query(
    `SELECT user_id, at, kind, category, pocket, amount_cents::int AS amount_cents
     FROM ${s}.transactions ORDER BY user_id, at`,
  )
  return rows
}

/** The figures of `user` over `[start, end)` computed here, apart from the app's SQL. */
function figures(txs: Tx[], user: number, start: number, end: number) {
  const mine = txs.filter((t) => t.user_id === user && +t.at < end)
  const signed = (t: Tx) => (t.kind === 'income' ? t.amount_cents : -t.amount_cents)
  const sum = (ts: Tx[]) => ts.reduce((a, t) => a + signed(t), 0)
  const inside = mine.filter((t) => +t.at >= start)
  const by = (f: (t: Tx) => string) => {
    const out: Record<string, number> = {}
    for (const t of inside) out[f(t)] = (out[f(t)] ?? 0) + signed(t)
    return out
  }
  const pockets: Record<string, number> = {}
  for (const t of mine) pockets[t.pocket] = (pockets[t.pocket] ?? 0) + signed(t)
  return {
    opening: sum(mine.filter((t) => +t.at < start)),
    closing: sum(mine),
    income: inside.filter((t) => t.kind === 'income').reduce((a, t) => a + t.amount_cents, 0),
    expense: inside.filter((t) => t.kind === 'expense').reduce((a, t) => a + t.amount_cents, 0),
    count: inside.length,
    byCategory: by((t) => t.category),
    byPocket: pockets,
    activeDays: new Set(inside.map((t) => t.at.toISOString().slice(0, 10))).size,
  }
}

/** The columns a daily report and a monthly summary share, as `figures` expects them. */
function balances(f: ReturnType<typeof figures>) {
  return {
    opening_cents: f.opening,
    income_cents: f.income,
    expense_cents: f.expense,
    closing_cents: f.closing,
    tx_count: f.count,
    by_category: f.byCategory,
  }
}

describe('the schedules', () => {
  it('23:59, 00:00 and 00:01 on the 1st each run their job once, for the legacy periods, in batches of 100', async () => {
    const { clock, tw, app, lines, s } = await setup('2026-01-31T23:58:30Z', {
      users: 250,
      from: '2025-12-01',
      to: '2026-02-02',
    })
    // a payment in the last minute of the day: after the 23:59 report, before midnight
    await db.query(
      `INSERT INTO ${s}.transactions VALUES (1, 1, '2026-01-31T23:59:30Z', 'expense', 'dining', 'main', 4321)`,
    )
    const txs = await transactions(s)
    /** Checks each of the 250 users' rows of `table` for `period` against the transactions from `start` to `end`. */
    const everyUser = async (
      table: ReportTable,
      period: string,
      [start, end]: [string, string],
      expected: (f: ReturnType<typeof figures>) => Record<string, unknown>,
    ) => {
      const rows = await app.rows(table, period)
      expect(rows).toHaveLength(250)
      for (const r of rows)
        expect(r).toMatchObject(expected(figures(txs, r.user_id as number, at(start), at(end))))
      return rows
    }
    await tw.start()

    clock.set(at('2026-01-31T23:59:00.010Z'))
    const report = await onlyRun(tw, 'daily-report')
    expect(report).toMatchObject({ state: 'completed', source: 'schedule' })
    expect(report.tick).toEqual(new Date('2026-01-31T23:59:00Z'))
    expect(report.result).toEqual({
      period: '2026-01-31',
      users: 250,
      ok: 250,
      failed: 0,
      skipped: 0,
      changed: 250,
    })
    expect(report.progress).toEqual({ done: 250, total: 250, ok: 250, failed: 0 })
    expect(await tw.items.counts(report.id)).toEqual({ ok: 250, failed: 0 })
    const batches = lines.filter((l) => l.runId === report.id && l.msg.startsWith('batch'))
    expect(batches.map((l) => l.msg)).toEqual([
      'batch 0-100: 100 ok, 0 failed',
      'batch 100-200: 100 ok, 0 failed',
      'batch 200-250: 50 ok, 0 failed',
    ])
    const reports = await everyUser(
      'daily_reports',
      '2026-01-31',
      ['2026-01-31T00:00:00Z', '2026-01-31T23:59:00Z'],
      (f) => ({
        day: '2026-01-31',
        ...balances(f),
        as_of: new Date('2026-01-31T23:59:00Z'),
        run_id: report.id,
      }),
    )
    // nothing else ran before its time
    expect((await tw.runs.counts('daily-snapshot')).completed).toBe(0)
    expect((await tw.runs.counts('monthly-summary')).completed).toBe(0)

    clock.set(at('2026-02-01T00:00:00.010Z'))
    const snapshot = await onlyRun(tw, 'daily-snapshot')
    expect(snapshot.result).toMatchObject({ period: '2026-01-31', users: 250, changed: 250 })
    const snapshots = await everyUser(
      'daily_snapshots',
      '2026-01-31',
      ['2026-01-31T00:00:00Z', '2026-02-01T00:00:00Z'],
      (f) => ({
        balance_cents: f.closing,
        by_pocket: f.byPocket,
        day_income_cents: f.income,
        day_expense_cents: f.expense,
        day_tx_count: f.count,
      }),
    )
    // the snapshot sees the whole day; the 23:59 report (as the original's) did not
    const user1 = (rows: Record<string, unknown>[]) => rows.find((r) => r.user_id === 1)
    expect(user1(snapshots)?.balance_cents).toBe((user1(reports)?.closing_cents as number) - 4321)

    clock.set(at('2026-02-01T00:01:00.010Z'))
    const summary = await onlyRun(tw, 'monthly-summary')
    expect(summary.result).toMatchObject({ period: '2026-01-01', users: 250, changed: 250 })
    const summaries = await everyUser(
      'monthly_summaries',
      '2026-01-01',
      ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
      (f) => ({ month: '2026-01-01', ...balances(f), active_days: f.activeDays }),
    )
    for (const r of summaries) {
      // the month closes where the last day's snapshot stands, last minute included
      expect(r.closing_cents).toBe(snapshots.find((x) => x.user_id === r.user_id)?.balance_cents)
    }
    // one run each: the daily jobs did not run again at 00:01
    for (const job of ['daily-report', 'daily-snapshot', 'monthly-summary'])
      expect((await tw.runs.counts(job)).completed).toBe(1)
  })

  it('a rerun of a day leaves identical rows; a failed user is redone alone by the retry', async () => {
    const { clock, tw, app, s } = await setup('2026-02-01T23:58:00Z', {
      users: 150,
      from: '2026-01-01',
      to: '2026-02-03',
    })
    // user 42's row cannot be written on the first attempt
    await db.query(
      `ALTER TABLE ${s}.daily_reports ADD CONSTRAINT no_42 CHECK (user_id <> 42) NOT VALID`,
    )
    await tw.start()
    // the retry's minute crosses midnight: keep the snapshot out of this test's tables
    await tw.pause('daily-snapshot')
    clock.set(at('2026-02-01T23:59:00.010Z'))
    await until(async () => (await tw.runs.counts('daily-report')).delayed === 1)
    const [failed] = (await tw.runs.list({ job: 'daily-report' })).runs as [Run]
    expect(failed.errors[0]).toMatchObject({
      name: 'ItemsFailedError',
      message: '1 of 150 items failed',
    })
    expect(await tw.items.list({ run: failed.id, ok: false })).toMatchObject([
      { key: '42', error: { message: expect.stringMatching(/no_42/) } },
    ])
    expect(await app.rows('daily_reports', '2026-02-01')).toHaveLength(149)

    await db.query(`ALTER TABLE ${s}.daily_reports DROP CONSTRAINT no_42`)
    clock.advance(61_000)
    await until(async () => (await tw.runs.get(failed.id))?.state === 'completed')
    expect((await tw.runs.get(failed.id))?.result).toEqual({
      period: '2026-02-01',
      users: 150,
      ok: 1,
      failed: 0,
      skipped: 149,
      changed: 1,
    })
    expect(await app.rows('daily_reports', '2026-02-01')).toHaveLength(150)

    // an operator reruns the day: every user recomputed, no row rewritten
    const before = await app.fingerprint()
    const again = await tw.trigger('daily-report', { day: '2026-02-01' }, { wait: true })
    expect(again.run?.result).toMatchObject({ users: 150, ok: 150, skipped: 0, changed: 0 })
    expect(await app.fingerprint()).toEqual(before)

    // a late correction to the source: the rerun rewrites that user's row in place, only it
    await db.query(
      `INSERT INTO ${s}.transactions VALUES (2, 7, '2026-02-01T12:00:00Z', 'income', 'refund', 'main', 999)`,
    )
    const old7 = (await app.rows('daily_reports', '2026-02-01')).find((r) => r.user_id === 7)
    const fixed = await tw.trigger('daily-report', { day: '2026-02-01' }, { wait: true })
    expect(fixed.run?.result).toMatchObject({ users: 150, changed: 1 })
    const rows = await app.rows('daily_reports', '2026-02-01')
    expect(rows).toHaveLength(150)
    const new7 = rows.find((r) => r.user_id === 7)
    expect(new7).toMatchObject({
      income_cents: (old7?.income_cents as number) + 999,
      closing_cents: (old7?.closing_cents as number) + 999,
      run_id: fixed.id,
    })
    expect(rows.filter((r) => r.run_id === fixed.id)).toHaveLength(1)

    // bad input changes nothing
    await expect(tw.trigger('daily-report', { day: '2026-02-30' })).rejects.toThrow(ValidationError)
    await expect(tw.trigger('monthly-summary', { month: '2026-13' })).rejects.toThrow(/month/)
  })

  it('days missed while no scheduler ran are caught up (the original lost them)', async () => {
    const schema = freshSchema()
    const clock = manualClock(at('2026-03-03T12:00:00Z'))
    const first = makeTickwork({ clock, schema })
    const app = await installReporting(first, { schema: freshSchema() })
    await app.seed({ users: 20, from: '2026-02-01', to: '2026-03-10' })
    await first.start()
    await first.stop()
    // down from the 3rd at noon to the 6th at noon; a new process comes up
    clock.set(at('2026-03-06T12:00:00Z'))
    const second = makeTickwork({ clock, schema })
    const again = await installReporting(second, { schema: app.schema })
    await second.start()
    await until(async () => (await second.runs.counts('daily-report')).completed === 3)
    await until(async () => (await second.runs.counts('daily-snapshot')).completed === 3)
    for (const day of ['2026-03-03', '2026-03-04', '2026-03-05']) {
      expect(await again.rows('daily_reports', day)).toHaveLength(20)
      expect(await again.rows('daily_snapshots', day)).toHaveLength(20)
    }
    // the 3rd's 00:00 tick was before the first process started
    expect(await again.rows('daily_snapshots', '2026-03-02')).toHaveLength(0)
  })

  it("a missed 1st of the month is summed up even after four weeks down (a daily job's 7 days would not reach it)", async () => {
    const schema = freshSchema()
    const clock = manualClock(at('2026-02-27T12:00:00Z'))
    const first = makeTickwork({ clock, schema })
    const app = await installReporting(first, { schema: freshSchema() })
    await app.seed({ users: 20, from: '2026-02-01', to: '2026-03-31' })
    await first.start()
    await first.stop()
    // March 1st's 00:01 tick is 27 days behind when the next process comes up
    clock.set(at('2026-03-28T12:00:00Z'))
    const second = makeTickwork({ clock, schema })
    const again = await installReporting(second, { schema: app.schema })
    await second.start()
    await until(async () => (await second.runs.counts('monthly-summary')).completed === 1)
    const [run] = (await second.runs.list({ job: 'monthly-summary' })).runs
    expect(run?.tick).toEqual(new Date('2026-03-01T00:01:00Z'))
    expect(await again.rows('monthly_summaries', '2026-02-01')).toHaveLength(20)
  })
})

describe('graceful shutdown', () => {
  it('a stop mid-run hands the run back; the next process redoes only the users not yet done', async () => {
    const schema = freshSchema()
    const clock = manualClock(at('2026-02-02T23:58:30Z'))
    const first = makeTickwork({ clock, schema })
    const app = await installReporting(first, { schema: freshSchema() })
    await app.seed({ users: 400, from: '2026-01-01', to: '2026-02-03' })
    await first.start()
    clock.set(at('2026-02-02T23:59:00.010Z'))
    let id = ''
    await until(async () => {
      const [run] = (await first.runs.list({ job: 'daily-report' })).runs
      id = run?.id ?? ''
      return ((run?.progress as { done?: number } | null)?.done ?? 0) >= 100
    })
    await first.stop({ grace: 0 })
    const second = makeTickwork({ clock, schema })
    const after = await installReporting(second, { schema: app.schema })
    expect(await second.runs.get(id)).toMatchObject({ state: 'waiting', attempt: 0 })
    const done = (await after.rows('daily_reports', '2026-02-02')).length
    expect(done).toBeGreaterThanOrEqual(100)
    expect(done).toBeLessThan(400)
    await second.start()
    await until(async () => (await second.runs.get(id))?.state === 'completed')
    expect((await second.runs.get(id))?.result).toMatchObject({
      users: 400,
      skipped: done,
      ok: 400 - done,
      changed: 400 - done,
    })
    expect(await after.rows('daily_reports', '2026-02-02')).toHaveLength(400)
  })
})

describe('timeouts', () => {
  it('are 30, 30 and 60 minutes; a run past its timeout stops between users and fails', async () => {
    const { tw, app } = await setup('2026-02-10T12:00:00Z', {
      users: 250,
      from: '2026-02-01',
      to: '2026-02-10',
    })
    for (const [job, minutes] of [
      ['daily-snapshot', 30],
      ['daily-report', 30],
      ['monthly-summary', 60],
    ] as const)
      expect((await tw.jobs.get(job)).definition?.timeoutMs).toBe(minutes * 60_000)
    await tw.start()
    const { id } = await app.jobs.dailyReport.enqueue(
      { day: '2026-02-05' },
      { timeout: 1, retry: { attempts: 1 } },
    )
    await until(async () => (await tw.runs.get(id))?.state === 'failed')
    const run = (await tw.runs.get(id)) as Run
    expect(run.errors[0]?.name).toBe(new TimeoutError(1).name)
    const written = (await app.rows('daily_reports', '2026-02-05')).length
    expect(written).toBeLessThan(250)
    expect((await tw.items.counts(id)).ok).toBe(written)
  })
})

describe('backfill', () => {
  it('fills 365 days and 12 months; a second identical backfill finds every tick and changes no row', async () => {
    const { tw, app } = await setup('2026-12-01T12:00:00Z', {
      users: 12,
      from: '2025-11-01',
      to: '2026-12-01',
    })
    await tw.start()
    const days = { from: '2025-12-01', to: '2026-12-01', concurrency: 8 }
    // the 00:01 ticks of 1 January .. 1 December: the months December 2025 .. November 2026
    const months = { from: '2026-01-01', to: '2026-12-01T00:02:00Z', concurrency: 4 }
    const [d, m] = await Promise.all([
      tw.backfill('daily-report', days).then((b) => b.wait({ poll: 100 })),
      tw.backfill('monthly-summary', months).then((b) => b.wait({ poll: 100 })),
    ])
    expect(d).toMatchObject({
      state: 'completed',
      total: 365,
      enqueued: 365,
      existing: 0,
      completed: 365,
      failed: 0,
    })
    expect(m).toMatchObject({
      state: 'completed',
      total: 12,
      enqueued: 12,
      existing: 0,
      completed: 12,
      failed: 0,
    })
    const { rows } = await db.query(
      `SELECT COUNT(*)::int AS n, COUNT(DISTINCT day)::int AS days, MIN(day)::text AS first,
         MAX(day)::text AS last FROM ${app.schema}.daily_reports`,
    )
    expect(rows[0]).toEqual({ n: 365 * 12, days: 365, first: '2025-12-01', last: '2026-11-30' })
    const summaries = await db.query(
      `SELECT month::text AS month, COUNT(*)::int AS n FROM ${app.schema}.monthly_summaries
       GROUP BY month ORDER BY month`,
    )
    expect(summaries.rows.map((r) => r.month)).toEqual(
      Array.from({ length: 12 }, (_, i) =>
        new Date(Date.UTC(2025, 11 + i, 1)).toISOString().slice(0, 10),
      ),
    )
    expect(summaries.rows.every((r) => r.n === 12)).toBe(true)
    // each month closes where the next month's first daily report opens
    const joined = await db.query(
      `SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE m.closing_cents = r.opening_cents)::int AS same
       FROM ${app.schema}.monthly_summaries m
       JOIN ${app.schema}.daily_reports r
         ON r.user_id = m.user_id AND r.day = (m.month + interval '1 month')::date`,
    )
    expect(joined.rows[0]).toEqual({ n: 11 * 12, same: 11 * 12 })

    const before = await app.fingerprint()
    expect(before.daily_reports.rows).toBe(365 * 12)
    const [d2, m2] = await Promise.all([
      tw.backfill('daily-report', days).then((b) => b.wait({ poll: 100 })),
      tw.backfill('monthly-summary', months).then((b) => b.wait({ poll: 100 })),
    ])
    expect(d2).toMatchObject({ state: 'completed', total: 365, enqueued: 0, existing: 365 })
    expect(m2).toMatchObject({ state: 'completed', total: 12, enqueued: 0, existing: 12 })
    expect(await app.fingerprint()).toEqual(before)
  })

  it('from the CLI, with progress, and again with nothing to do', async () => {
    const schema = freshSchema()
    const appSchema = freshSchema()
    const args = [
      'backfill',
      'monthly-summary',
      '--from',
      '2026-01-01',
      '--to',
      '2026-12-01T00:02:00Z',
      '--config',
      'examples/reporting/tickwork.config.ts',
    ]
    const env = { REPORTING_SCHEMA: appSchema, REPORTING_DEMO_USERS: '5', LOG_LEVEL: 'warn' }
    const first = await cli(schema, [...args, '--work'], { env, cwd: ROOT })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(
      /completed: 12 ticks, 12 enqueued, 0 existing, 12 completed, 0 failed/,
    )
    expect(first.stderr).toMatch(/^backfill \d+: 12\/12 ticks: 12 completed, 0 failed, 0 live$/m)
    const read = async () =>
      (
        await db.query(
          `SELECT md5(string_agg(m::text, '|' ORDER BY m::text)) AS sum, COUNT(*)::int AS n
           FROM ${appSchema}.monthly_summaries m`,
        )
      ).rows[0]
    const before = await read()
    expect(before.n).toBe(12 * 5)
    const again = await cli(schema, [...args, '--json'], { env, cwd: ROOT })
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({
      state: 'completed',
      enqueued: 0,
      existing: 12,
    })
    expect(await read()).toEqual(before)
  })
})

describe('settings', () => {
  it('come from the environment, checked, naming the bad variable', async () => {
    expect(reportingOptionsFromEnv({})).toEqual({
      schema: 'reporting',
      batchSize: 100,
      concurrency: 2,
      demoUsers: 250,
    })
    expect(reportingOptionsFromEnv({ REPORTING_BATCH_SIZE: '50' }).batchSize).toBe(50)
    expect(() => reportingOptionsFromEnv({ REPORTING_BATCH_SIZE: 'lots' })).toThrow(
      /REPORTING_BATCH_SIZE: .*got "lots"/,
    )
    expect(() => reportingOptionsFromEnv({ REPORTING_SCHEMA: 'Bad-Name' })).toThrow(ValidationError)
    const tw = makeTickwork()
    await expect(installReporting(tw, { batchSize: 0 })).rejects.toThrow(/batchSize/)
  })
})
