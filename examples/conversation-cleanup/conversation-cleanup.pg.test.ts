import pino from 'pino'
import { createApp, type Run, type Tickwork, ValidationError } from 'tickwork'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { freshSchema, makeTickwork, manualClock, pgClient, until } from '../../test/helpers.js'
import {
  CLEANUP_JOB,
  type CleanupResult,
  type ConversationCleanupOptions,
  conversationCleanupOptionsFromEnv,
  installConversationCleanup,
  isRetryable,
} from './app.js'
import { startConversationCleanupDemo } from './demo.js'

const MIN = 60_000
// half a minute past a tick: the first scheduled run is at 09:05
const T0 = Date.parse('2026-03-02T09:00:30Z')
const at = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00Z`)
// a tick is seen once the clock is past it
const past = (hhmm: string) => at(hhmm) + 10

const ADMIN = 'cc-admin-4Tq9Lm2Xv7Rb8Nw3'
const READ = 'cc-read-6Hs1Kd5Pz0Yc2Ej9'

const db = await pgClient()
// a second connection, to hold locks while the app works
const other = await pgClient()
// a failed test must not leave its locks to the next one
afterEach(() => other.query('ROLLBACK'))

/** A Tickwork on a manual clock at T0 with the app installed in a schema of its own. */
async function setup(options: ConversationCleanupOptions = {}, tickwork = {}) {
  const clock = manualClock(T0)
  // the clock jumps minutes at a time: a shorter lease would lapse under a waiting run
  const tw = makeTickwork({ clock, leaseTime: '1h', ...tickwork })
  const app = await installConversationCleanup(tw, { ...options, schema: freshSchema() })
  return { tw, app, clock }
}

/** Conversations as [id, active, minutes idle at T0, minutes since created (default: idle)]. */
async function seed(schema: string, rows: Array<[string, boolean, number, number?]>) {
  for (const [id, active, idle, age = idle] of rows)
    await db.query(
      `INSERT INTO ${schema}.conversation_states
         (id, is_active, created_at, last_activity_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
      [id, active, new Date(T0 - age * MIN), new Date(T0 - idle * MIN)],
    )
}

/** id → active, and id → when it was deactivated (ms), from the table itself. */
async function table(schema: string) {
  const { rows } = await db.query<{ id: string; is_active: boolean; deactivated_at: Date | null }>(
    `SELECT id, is_active, deactivated_at FROM ${schema}.conversation_states ORDER BY id`,
  )
  return {
    active: Object.fromEntries(rows.map((r) => [r.id, r.is_active])),
    closedAt: Object.fromEntries(rows.map((r) => [r.id, r.deactivated_at?.getTime() ?? null])),
  }
}

/** The job's completed runs once there are `n`, oldest first. */
async function completed(tw: Tickwork, n: number): Promise<Array<Run<unknown, CleanupResult>>> {
  const list = async () => (await tw.runs.list({ job: CLEANUP_JOB, state: 'completed' })).runs
  await until(async () => (await list()).length >= n)
  return (await list()).reverse() as Array<Run<unknown, CleanupResult>>
}

async function allRuns(tw: Tickwork): Promise<Run[]> {
  return (await tw.runs.list({ job: CLEANUP_JOB, limit: 1000 })).runs
}

describe('the scheduled cleanup', () => {
  it('every 5 minutes closes exactly the active conversations idle past 10 minutes, by last activity', async () => {
    const { tw, app, clock } = await setup()
    await seed(app.schema, [
      ['old-1', true, 30],
      ['old-2', true, 11],
      ['recent', true, 2],
      ['fresh', true, 0],
      // created long ago but busy: the legacy's createdAt filter would have closed it
      ['long-running', true, 1, 45],
      ['closed', false, 60],
      ['closed-recent', false, 3],
    ])
    await tw.start()

    clock.set(past('09:05'))
    const [first] = await completed(tw, 1)
    expect(first?.tick?.getTime()).toBe(at('09:05'))
    expect(first?.result).toMatchObject({ deactivated: 2, ids: ['old-1', 'old-2'], minutesOld: 10 })
    expect(first?.result?.cutoff).toBe(new Date(past('09:05') - 10 * MIN).toISOString())
    expect(first?.result?.stats).toEqual({
      total: 7,
      active: 3,
      inactive: 4,
      oldInactive: 3,
      timestamp: new Date(past('09:05')).toISOString(),
    })
    let t = await table(app.schema)
    expect(t.active).toEqual({
      closed: false,
      'closed-recent': false,
      fresh: true,
      'long-running': true,
      'old-1': false,
      'old-2': false,
      recent: true,
    })
    expect(t.closedAt['old-1']).toBe(past('09:05'))
    // a conversation that was already inactive is not written again
    expect(t.closedAt.closed).toBeNull()

    // activity between ticks: one existing conversation, one new
    clock.set(at('09:07'))
    await app.touch('fresh')
    await app.touch('new-conv')

    clock.set(past('09:10'))
    const second = (await completed(tw, 2))[1]
    expect(second?.result).toMatchObject({ deactivated: 2, ids: ['long-running', 'recent'] })
    expect(second?.result?.stats).toMatchObject({
      total: 8,
      active: 2,
      inactive: 6,
      oldInactive: 6,
    })

    clock.set(past('09:15'))
    const third = (await completed(tw, 3))[2]
    expect(third?.result).toMatchObject({ deactivated: 0, ids: [] })
    t = await table(app.schema)
    expect(t.active.fresh).toBe(true)
    expect(t.active['new-conv']).toBe(true)
    expect(t.closedAt.recent).toBe(past('09:10'))
    // the app's own statistics agree with the last run's
    expect(await app.stats()).toEqual(third?.result?.stats)
    expect((await allRuns(tw)).map((r) => r.tick?.getTime())).toEqual([
      at('09:15'),
      at('09:10'),
      at('09:05'),
    ])
  })

  it('takes its threshold and schedule from the environment, and names a bad variable', async () => {
    // unset variables leave no keys: spreading the options keeps the caller's defaults
    expect(conversationCleanupOptionsFromEnv({})).toEqual({})
    const bad: Array<[string, string]> = [
      ['CONVERSATION_CLEANUP_THRESHOLD_MINUTES', 'ten'],
      ['CONVERSATION_CLEANUP_THRESHOLD_MINUTES', '0'],
      ['CONVERSATION_CLEANUP_THRESHOLD_MINUTES', '-5'],
      ['CONVERSATION_CLEANUP_THRESHOLD_MINUTES', '10081'],
      ['CONVERSATION_CLEANUP_CRON', 'every 5 minutes'],
      ['CONVERSATION_CLEANUP_CRON', '*/5 * * *'],
      ['CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS', '1.5'],
      ['CONVERSATION_CLEANUP_SCHEMA', 'Bad-Name'],
    ]
    for (const [name, value] of bad) {
      const err = (() => {
        try {
          conversationCleanupOptionsFromEnv({ [name]: value })
        } catch (e) {
          return e
        }
      })()
      expect(err, `${name}=${value}`).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).issues).toEqual([
        { path: name, message: expect.stringContaining(JSON.stringify(value)) },
      ])
    }

    const options = conversationCleanupOptionsFromEnv({
      CONVERSATION_CLEANUP_THRESHOLD_MINUTES: '30',
      CONVERSATION_CLEANUP_CRON: '*/10 * * * *',
      CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS: '',
    })
    expect(options).toMatchObject({ thresholdMinutes: 30, cron: '*/10 * * * *' })
    const { tw, app, clock } = await setup(options)
    await seed(app.schema, [
      ['idle-20', true, 20],
      ['idle-40', true, 40],
    ])
    await tw.start()
    expect((await tw.schedules.next(CLEANUP_JOB, 2)).map((d) => d.getTime())).toEqual([
      at('09:10'),
      at('09:20'),
    ])
    // 09:05 is no tick of the env's schedule
    clock.set(past('09:10'))
    const [run] = await completed(tw, 1)
    expect(run?.tick?.getTime()).toBe(at('09:10'))
    expect(run?.result).toMatchObject({ minutesOld: 30, ids: ['idle-40'] })
    expect((await table(app.schema)).active).toEqual({ 'idle-20': true, 'idle-40': false })
    expect((await app.stats()).oldInactive).toBe(1)
  })

  it('the demo seeds the same conversations on every load; its feeder runs under start only', async () => {
    // only the feeder's interval is faked: the database and tickwork keep real time
    vi.useFakeTimers({ toFake: ['setInterval'] })
    try {
      const schema = freshSchema()
      const opened = async (env: Record<string, string>) => {
        const tw = makeTickwork()
        const app = await startConversationCleanupDemo(tw, {
          CONVERSATION_CLEANUP_SCHEMA: schema,
          ...env,
        })
        const before = (await app.conversations()).length
        await vi.advanceTimersByTimeAsync(4000)
        // the feeder's writes are not awaitable: a short wait for one that should not come
        await until(async () => (await app.conversations()).length > before, 500).catch(() => {})
        const added = (await app.conversations()).length - before
        // stopped, its feeder ends at its next turn instead of feeding the next load's count
        await tw.stop({ grace: 0 })
        return added
      }
      expect(await opened({ TICKWORK_COMMAND: 'jobs' })).toBe(0)
      expect(await opened({ TICKWORK_COMMAND: 'trigger' })).toBe(0)
      expect(await opened({ TICKWORK_COMMAND: 'start' })).toBe(1)
      expect(await opened({})).toBe(1)
      const ids = (await makeTickwork().query(`SELECT id FROM ${schema}.conversation_states`)).rows
      expect(ids.filter((r) => String(r.id).startsWith('demo-new-'))).toHaveLength(2)
      expect(ids).toHaveLength(18 + 2)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('failures', () => {
  it('a lock timeout is retried with exponential backoff from 1 s, then the cleanup goes through', async () => {
    const { tw, app, clock } = await setup({ lockTimeoutMs: 150 })
    await seed(app.schema, [['old', true, 30]])
    await tw.start()
    // another session holds the table: the cleanup's UPDATE gives up after 150 ms
    await other.query('BEGIN')
    await other.query(`LOCK TABLE ${app.schema}.conversation_states IN ACCESS EXCLUSIVE MODE`)
    const { id } = await tw.trigger(CLEANUP_JOB)
    const failedAttempts = async (n: number) => {
      await until(async () => {
        const r = await tw.runs.get(id)
        return r?.errors.length === n && r.state === 'delayed'
      })
      return (await tw.runs.get(id)) as Run
    }
    let run = await failedAttempts(1)
    expect(run.errors[0]?.message).toMatch(/lock timeout/)
    expect(run.runAt.getTime() - clock.now()).toBe(1000)
    clock.advance(1000)
    run = await failedAttempts(2)
    expect(run.runAt.getTime() - clock.now()).toBe(2000)
    // read in the session holding the lock: any other would wait for it
    const { rows } = await other.query(
      `SELECT is_active FROM ${app.schema}.conversation_states WHERE id = 'old'`,
    )
    expect(rows).toEqual([{ is_active: true }])

    await other.query('ROLLBACK')
    clock.advance(2000)
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    run = (await tw.runs.get(id)) as Run
    expect(run).toMatchObject({ attempt: 3, maxAttempts: 3, result: { deactivated: 1 } })
    expect((await table(app.schema)).active.old).toBe(false)
  })

  it("the legacy's non-retryable kinds and Postgres errors that repeat fail at once", async () => {
    const named = (name: string) => Object.assign(new Error('x'), { name })
    const pgError = (code: string) => Object.assign(new Error('x'), { code })
    for (const name of ['ValidationError', 'CastError', 'SyntaxError', 'TypeError'])
      expect(isRetryable(named(name)), name).toBe(false)
    expect(isRetryable(new TypeError('x'))).toBe(false)
    // undefined table, undefined column, invalid text for a type
    for (const code of ['42P01', '42703', '22P02'])
      expect(isRetryable(pgError(code)), code).toBe(false)
    // lock timeout, serialization failure, deadlock, admin shutdown, a dropped connection
    for (const code of ['55P03', '40001', '40P01', '57P01', 'ECONNRESET'])
      expect(isRetryable(pgError(code)), code).toBe(true)
    expect(isRetryable(new Error('connection terminated unexpectedly'))).toBe(true)
  })
})

describe('over HTTP', () => {
  const tokens = { admin: [ADMIN], read: [READ] }
  const trigger = (http: ReturnType<typeof createApp>, token: string | undefined, body?: unknown) =>
    http.request(`/api/jobs/${CLEANUP_JOB}/trigger`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  it('manual execution: admin 202 and the data changes; read 403, none 401, bad payload 400, nothing changes', async () => {
    const { tw, app } = await setup()
    await seed(app.schema, [
      ['idle-20', true, 20],
      ['idle-40', true, 40],
    ])
    await tw.start()
    const http = createApp(tw, { tokens, dashboard: false })

    expect((await trigger(http, undefined)).status).toBe(401)
    expect((await trigger(http, 'not-a-token-at-all-123')).status).toBe(401)
    expect((await trigger(http, READ)).status).toBe(403)
    const bad = await trigger(http, ADMIN, { payload: { minutesOld: 'ten' } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({
      code: 'VALIDATION',
      details: {
        issues: [expect.objectContaining({ path: expect.stringContaining('minutesOld') })],
      },
    })
    expect(await allRuns(tw)).toEqual([])
    expect((await table(app.schema)).active).toEqual({ 'idle-20': true, 'idle-40': true })

    // a threshold of its own, as the legacy's custom cleanup took
    const custom = await trigger(http, ADMIN, { payload: { minutesOld: 30 } })
    expect(custom.status).toBe(202)
    const { id } = (await custom.json()) as { id: string }
    const [run] = await completed(tw, 1)
    expect(run).toMatchObject({
      id,
      source: 'manual',
      result: { minutesOld: 30, ids: ['idle-40'] },
    })
    expect((await table(app.schema)).active).toEqual({ 'idle-20': true, 'idle-40': false })

    const plain = await trigger(http, ADMIN)
    expect(plain.status).toBe(202)
    const second = (await completed(tw, 2))[1]
    expect(second?.result).toMatchObject({ minutesOld: 10, ids: ['idle-20'] })
    expect((await table(app.schema)).active).toEqual({ 'idle-20': false, 'idle-40': false })
  })

  it('job status: schedule, next runs, last run, success rate; a permanent error is not retried', async () => {
    const { tw, app, clock } = await setup()
    await seed(app.schema, [['old', true, 30]])
    await tw.start()
    const http = createApp(tw, { tokens, dashboard: false })
    const status = async () => {
      const r = await http.request(`/api/jobs/${CLEANUP_JOB}`, {
        headers: { authorization: `Bearer ${READ}` },
      })
      expect(r.status).toBe(200)
      // biome-ignore lint/suspicious/noExplicitAny: the assertions read the JSON's shape
      return (await r.json()) as any
    }
    const before = await status()
    expect(before.schedule).toMatchObject({ cron: '*/5 * * * *', timezone: 'UTC', paused: false })
    expect(before.schedule.next.slice(0, 3)).toEqual(
      ['09:05', '09:10', '09:15'].map((t) => new Date(at(t)).toISOString()),
    )
    expect(before.lastRun).toBeNull()
    expect(before.definition).toMatchObject({
      attempts: 3,
      backoff: { delayMs: 1000, maxDelayMs: 30000 },
    })

    clock.set(past('09:05'))
    const [ok] = await completed(tw, 1)

    // the table gone missing (42P01): retrying cannot help, so one attempt of three
    await db.query(`ALTER TABLE ${app.schema}.conversation_states RENAME TO gone`)
    // later than the first run by the clock, so it is the last run
    clock.advance(1000)
    const { id } = await tw.trigger(CLEANUP_JOB)
    await until(async () => (await tw.runs.get(id))?.state === 'failed')
    const failed = (await tw.runs.get(id)) as Run
    expect(failed).toMatchObject({ attempt: 1, maxAttempts: 3 })
    expect(failed.errors).toHaveLength(1)
    expect(failed.errors[0]?.message).toMatch(/does not exist/)
    await db.query(`ALTER TABLE ${app.schema}.gone RENAME TO conversation_states`)

    const after = await status()
    expect(after.schedule.next[0]).toBe(new Date(at('09:10')).toISOString())
    expect(after.recent).toMatchObject({ completed: 1, failed: 1, successRate: 0.5 })
    expect(after.lastRun).toMatchObject({ id, state: 'failed' })
    expect(ok?.result?.ids).toEqual(['old'])
  })
})

describe('the wish list', () => {
  it('two instances on one schema: exactly one run per tick', async () => {
    const clock = manualClock(T0)
    const schema = freshSchema()
    const appSchema = freshSchema()
    const instances = [0, 1].map(() => makeTickwork({ schema, clock, leaseTime: '1h' }))
    // both start at once: creating the tables is serialised by an advisory lock
    const [app] = await Promise.all(
      instances.map((tw) => installConversationCleanup(tw, { schema: appSchema })),
    )
    await seed(appSchema, [
      ['a', true, 30],
      ['b', true, 4],
      // last active 09:03:30, after the clock's start
      ['c', true, -3],
    ])
    const started: number[] = []
    instances.forEach((tw, i) => {
      tw.on('run:started', () => started.push(i))
    })
    await Promise.all(instances.map((tw) => tw.start()))
    const [tw] = instances as [Tickwork]
    for (const [n, tick] of ['09:05', '09:10', '09:15'].entries()) {
      clock.set(past(tick))
      await completed(tw, n + 1)
    }
    // a few more polls of both schedulers: nothing more may come
    await new Promise((r) => setTimeout(r, 400))
    const runs = await allRuns(tw)
    expect(runs.map((r) => r.tick?.getTime())).toEqual([at('09:15'), at('09:10'), at('09:05')])
    expect(started).toHaveLength(3)
    const { rows } = await db.query(
      `SELECT outcome, count(*)::int AS n FROM ${schema}.ticks WHERE job = $1 GROUP BY outcome`,
      [CLEANUP_JOB],
    )
    expect(rows).toEqual([{ outcome: 'run', n: 3 }])
    const ids = runs.map((r) => (r.result as CleanupResult).ids).reverse()
    expect(ids).toEqual([['a'], ['b'], ['c']])
    expect((await app?.stats())?.active).toBe(0)
  })

  it('a runtime schedule change is followed without a restart', async () => {
    const { tw, app, clock } = await setup()
    await seed(app.schema, [['idle-10.5', true, 10.5]])
    await tw.start()
    expect((await tw.schedules.next(CLEANUP_JOB, 1))[0]?.getTime()).toBe(at('09:05'))
    await tw.schedules.update(CLEANUP_JOB, { cron: '* * * * *' })
    expect((await tw.schedules.next(CLEANUP_JOB, 2)).map((d) => d.getTime())).toEqual([
      at('09:01'),
      at('09:02'),
    ])
    clock.set(past('09:01'))
    const [run] = await completed(tw, 1)
    expect(run?.tick?.getTime()).toBe(at('09:01'))
    // closed at 09:01, four minutes before the old schedule's first tick
    expect((await table(app.schema)).closedAt['idle-10.5']).toBe(past('09:01'))
    expect((await tw.schedules.get(CLEANUP_JOB)).cron).toBe('* * * * *')
  })

  it('the job log times each run: tickwork records start and end, the handler logs its own timing', async () => {
    const lines: Array<Record<string, unknown>> = []
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) })
    const { tw, app, clock } = await setup({}, { logger })
    await seed(app.schema, [
      ['racing', true, 20],
      ['idle', true, 20],
    ])
    const completedMs: number[] = []
    tw.on('run:completed', (e) => completedMs.push(e.durationMs))
    await tw.start()
    // covered in the lost-update test below; here only the timing matters
    await other.query('BEGIN')
    await other.query(
      `SELECT 1 FROM ${app.schema}.conversation_states WHERE id = 'racing' FOR UPDATE`,
    )
    const { id } = await tw.trigger(CLEANUP_JOB)
    await waitingOnLock(app.schema)
    clock.advance(3000)
    await new Promise((r) => setTimeout(r, 200))
    await other.query('COMMIT')
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    const run = (await tw.runs.get(id)) as Run<unknown, CleanupResult>
    // by the instance's clock: the three seconds it moved while the run waited
    expect((run.finishedAt?.getTime() ?? 0) - (run.startedAt?.getTime() ?? 0)).toBe(3000)
    expect((await tw.jobs.get(CLEANUP_JOB)).recent.meanDurationMs).toBe(3000)
    // in real time, at least the 200 ms the lock was held
    expect(run.result?.durationMs).toBeGreaterThanOrEqual(190)
    expect(completedMs[0]).toBeGreaterThanOrEqual(190)
    expect(lines).toContainEqual(
      expect.objectContaining({
        job: CLEANUP_JOB,
        runId: id,
        attempt: 1,
        deactivated: 2,
        durationMs: run.result?.durationMs,
        msg: 'conversations cleaned up',
      }),
    )
  })
})

/** Resolves once a session waits on a lock in a statement on `schema`'s conversations. */
async function waitingOnLock(schema: string) {
  await until(async () => {
    const { rows } = await db.query(
      `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
      [`%${schema}.conversation_states%`],
    )
    return rows.length > 0
  })
}

describe('the lost update the legacy risked', () => {
  it('a conversation touched while the cleanup runs stays active', async () => {
    const { tw, app } = await setup()
    await seed(app.schema, [
      ['racing', true, 20],
      ['idle', true, 20],
    ])
    await tw.start()
    // the user writes: the touch has updated the row but not committed yet
    await other.query('BEGIN')
    await other.query(
      `UPDATE ${app.schema}.conversation_states SET last_activity_at = $1, updated_at = $1 WHERE id = 'racing'`,
      [new Date(T0)],
    )
    const { id } = await tw.trigger(CLEANUP_JOB)
    // the cleanup found 'racing' idle when it began, and now waits for the touch's row lock
    await waitingOnLock(app.schema)
    await other.query('COMMIT')
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    const run = (await tw.runs.get(id)) as Run<unknown, CleanupResult>
    expect(run.result).toMatchObject({ deactivated: 1, ids: ['idle'] })
    expect((await table(app.schema)).active).toEqual({ idle: false, racing: true })
    expect(
      (await app.conversations()).find((c) => c.id === 'racing')?.lastActivityAt.getTime(),
    ).toBe(T0)
  })
})
