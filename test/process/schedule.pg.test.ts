import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { freshSchema, makeTickwork, pgClient, until } from '../helpers.js'
import { type Child, eventually, startFixture } from './children.js'

const db = await pgClient()

const FIXTURE = fileURLToPath(new URL('../fixtures/scheduler.mjs', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** What test/fixtures/scheduler.mjs is told (see its header). */
interface SchedulerSettings {
  schema: string
  job?: string
  schedule?: object
  options?: object
  /** the shared fast clock: now = t0 + (Date.now() - t0) * speed */
  t0?: number
  speed?: number
}

/** The scheduler fixture, with what it is told. */
function startScheduler(s: SchedulerSettings): Child {
  return startFixture(FIXTURE, {
    TW_SCHEMA: s.schema,
    TW_JOB: s.job ?? 'tick',
    ...(s.schedule ? { TW_SCHEDULE: JSON.stringify(s.schedule) } : {}),
    TW_OPTIONS: JSON.stringify(s.options ?? {}),
    ...(s.t0 !== undefined ? { TW_T0: String(s.t0), TW_SPEED: String(s.speed ?? 1) } : {}),
  })
}

/** The lines '<kind> <tick> <run id>' a scheduler fixture printed so far. */
function events(p: Child, kind: 'scheduled' | 'ran'): Array<{ tick: number; id: string }> {
  return p.lines
    .map((l) => l.split(' '))
    .filter(([k]) => k === kind)
    .map(([, tick, id]) => ({ tick: Number(tick), id: id as string }))
}

const summary = (p: Child) => ({
  pid: p.pid,
  exit: p.exit,
  lines: p.lines.length,
  tail: p.lines.slice(-5),
  stderr: p.stderr.slice(0, 800),
})

async function startSchedulers(n: number, s: SchedulerSettings): Promise<Child[]> {
  const list = Array.from({ length: n }, () => startScheduler(s))
  await Promise.all(list.map((p) => p.printed('ready')))
  return list
}

/** SIGTERM to each; checks each stopped cleanly (exit 0, nothing on stderr). */
async function stopSchedulers(list: Child[]): Promise<void> {
  for (const p of list) p.kill('SIGTERM')
  await until(() => list.every((p) => p.exit), 20_000)
  for (const p of list)
    expect({ pid: p.pid, exit: p.exit, stderr: p.stderr }).toEqual({
      pid: p.pid,
      exit: { code: 0, signal: null },
      stderr: '',
    })
}

interface Tick {
  at: number
  outcome: string
  run_id: string | null
  recorded_at: number
}

/** The job's ticks recorded, oldest first, times as epoch milliseconds. */
async function ticks(schema: string, job = 'tick'): Promise<Tick[]> {
  const { rows } = await db.query<Tick>(
    `SELECT (extract(epoch FROM at) * 1000)::float8 AS at, outcome, run_id::text,
            (extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_at
     FROM "${schema}".ticks WHERE job = $1 ORDER BY at`,
    [job],
  )
  return rows
}

/** A fresh schema, migrated here, so the processes started on it do not race to migrate it. */
async function migrated() {
  const schema = freshSchema()
  await makeTickwork({ schema }).migrate()
  return schema
}

it('4 processes over 200 ticks of a one-second cron: exactly 200 runs, one per tick', async () => {
  const TICKS = 200
  // a clock 10 times as fast: 200 one-second ticks in about 20 s; the processes agree
  // on it, as each reads the same wall clock from the same origin
  const SPEED = 10
  const schema = await migrated()
  const procs = await startSchedulers(4, {
    schema,
    t0: Date.now(),
    speed: SPEED,
    // 30 s (real: 3 s) of lease: long enough for a no-op handler, at any speed
    options: { pollInterval: 100, leaseTime: '300s', poolSize: 3 },
  })
  const s = `"${schema}"`
  const state = async () => ({
    ticks: (
      await db.query(`SELECT count(*)::int AS n, min(at) AS first, max(at) AS last FROM ${s}.ticks`)
    ).rows[0],
    live: (await db.query(`SELECT state, count(*)::int AS n FROM ${s}.runs GROUP BY state`)).rows,
    processes: procs.map(summary),
  })
  const bounds = async () => {
    const { rows } = await db.query<{ first: Date | null; last: Date | null }>(
      `SELECT min(at) AS first, max(at) AS last FROM ${s}.ticks WHERE job = 'tick'`,
    )
    return rows[0] as { first: Date | null; last: Date | null }
  }
  // the window: the 200 ticks from the first recorded, closed once a later tick is
  // recorded (ticks are handled in order, each in the transaction that makes its run)
  await eventually(
    'the scheduler went past the 200th tick',
    async () => {
      const { first, last } = await bounds()
      return first !== null && last !== null && last.getTime() >= first.getTime() + TICKS * 1000
    },
    60_000,
    state,
    100,
  )
  const first = (await bounds()).first as Date
  const end = new Date(first.getTime() + TICKS * 1000)
  // then every run of the window is done (filed in the history), whatever their count
  await eventually(
    'the runs of the window finished',
    async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${s}.runs WHERE tick >= $1 AND tick < $2`,
        [first, end],
      )
      return rows[0]?.n === 0
    },
    10_000,
    state,
    50,
  )
  await stopSchedulers(procs)

  // the ticks table: one row per tick of the window, each a run
  const window = (await ticks(schema)).filter(
    (t) => t.at >= first.getTime() && t.at < end.getTime(),
  )
  expect(window.map((t) => t.at)).toEqual(
    Array.from({ length: TICKS }, (_, i) => first.getTime() + i * 1000),
  )
  expect(window.filter((t) => t.outcome !== 'run' || t.run_id === null)).toEqual([])

  // the runs, live or finished: exactly one per tick, the one the tick names
  const { rows: runs } = await db.query<{ id: string; tick: Date; state: string }>(
    `SELECT id::text, tick, state FROM (
       SELECT id, tick, state::text, source, job FROM ${s}.runs
       UNION ALL
       SELECT id, tick, state::text, source, job FROM ${s}.run_history
     ) r
     WHERE job = 'tick' AND source = 'schedule' AND tick >= $1 AND tick < $2
     ORDER BY tick, id`,
    [first, end],
  )
  const perTick = new Map<number, string[]>()
  for (const r of runs)
    perTick.set(r.tick.getTime(), [...(perTick.get(r.tick.getTime()) ?? []), r.id])
  expect({
    runs: runs.length,
    ticks: perTick.size,
    twice: [...perTick].filter(([, ids]) => ids.length > 1),
  }).toEqual({ runs: TICKS, ticks: TICKS, twice: [] })
  expect(window.map((t) => [t.at, t.run_id])).toEqual(runs.map((r) => [r.tick.getTime(), r.id]))
  expect(runs.filter((r) => r.state !== 'completed')).toEqual([])
  // nor did any tick outside the window get two runs
  const { rows: doubled } = await db.query(
    `SELECT tick, count(*)::int AS n FROM (
       SELECT tick FROM ${s}.runs WHERE source = 'schedule'
       UNION ALL SELECT tick FROM ${s}.run_history WHERE source = 'schedule'
     ) r GROUP BY tick HAVING count(*) > 1`,
  )
  expect(doubled).toEqual([])

  // what the processes said: each run of the window enqueued by one scheduler, executed
  // by one worker, and more than one process's scheduler won ticks
  const inWindow = (e: { tick: number }) => e.tick >= first.getTime() && e.tick < end.getTime()
  const scheduled = procs.map((p) => events(p, 'scheduled').filter(inWindow))
  const ran = procs.flatMap((p) => events(p, 'ran').filter(inWindow))
  const byTick = (list: Array<{ tick: number; id: string }>) =>
    [...list].sort((a, b) => a.tick - b.tick).map((e) => [e.tick, e.id])
  const expected = runs.map((r) => [r.tick.getTime(), r.id])
  expect(byTick(scheduled.flat())).toEqual(expected)
  expect(byTick(ran)).toEqual(expected)
  const winners = scheduled.map((list) => list.length)
  expect(winners.filter((n) => n > 0).length, `ticks won per process: ${winners}`).toBeGreaterThan(
    1,
  )
})

it('pause, resume and a cron change reach every process within a second, without a restart', async () => {
  const schema = await migrated()
  // this process changes the schedule; it runs no scheduler
  const tw = makeTickwork({ schema })
  const procs = await startSchedulers(2, { schema, options: { pollInterval: 100 } })
  const state = async () => ({ ticks: await ticks(schema), processes: procs.map(summary) })
  await eventually('two ticks ran', async () => (await ticks(schema)).length >= 2, 5_000, state)

  const paused = await tw.pause('tick')
  expect(paused).toMatchObject({ paused: true, cron: '* * * * * *' })
  const atPause = (await ticks(schema)).length
  const scheduledAtPause = procs.map((p) => events(p, 'scheduled').length)
  // two ticks' time: neither process handles a tick while paused
  await sleep(2_100)
  expect((await ticks(schema)).length).toBe(atPause)
  expect(procs.map((p) => events(p, 'scheduled').length)).toEqual(scheduledAtPause)

  await tw.schedules.update('tick', { cron: '*/2 * * * * *' })
  const resumed = await tw.resume('tick')
  const resumedAt = Date.now()
  expect(resumed).toMatchObject({ paused: false, cron: '*/2 * * * * *' })
  const fresh = async () => (await ticks(schema)).slice(atPause)
  await eventually(
    'two ticks of the new cron ran',
    async () => (await fresh()).length >= 2,
    6_000,
    state,
  )
  await stopSchedulers(procs)

  // none of the ticks of the pause was caught up: the first is the new cron's first
  // after the resume, the rest follow it every 2 s, on even seconds
  const next = resumed.nextAt.getTime()
  expect(next % 2_000).toBe(0)
  expect(next).toBeGreaterThan(resumedAt - 2_000)
  expect(next).toBeLessThanOrEqual(resumedAt + 2_000)
  const after = await fresh()
  for (const [i, t] of after.entries()) {
    expect(t).toMatchObject({ at: next + i * 2_000, outcome: 'run' })
    // handled within a second of its time, by whichever process
    expect(t.recorded_at - t.at).toBeLessThan(1_000)
  }
})

it('a time zone change reaches the processes without a restart', async () => {
  // an hour a second: an hourly cron fires once a second; the zone moves its ticks from
  // :00 UTC to :15 UTC (Asia/Kathmandu is UTC+05:45)
  const SPEED = 3_600
  const HOUR = 3_600_000
  const t0 = Date.now()
  const clock = { now: () => t0 + (Date.now() - t0) * SPEED }
  const schema = await migrated()
  const tw = makeTickwork({ schema, clock })
  const schedule = { cron: '0 0 * * * *', overlap: 'allow', catchUp: 'all' }
  const procs = await startSchedulers(2, {
    schema,
    schedule,
    t0,
    speed: SPEED,
    options: { pollInterval: 100, leaseTime: '1000h', poolSize: 3 },
  })
  const state = async () => ({ ticks: await ticks(schema), processes: procs.map(summary) })
  await eventually('two ticks ran', async () => (await ticks(schema)).length >= 2, 5_000, state)

  const changed = await tw.schedules.update('tick', { timezone: 'Asia/Kathmandu' })
  const changedAt = clock.now()
  expect(changed).toMatchObject({ cron: '0 0 * * * *', timezone: 'Asia/Kathmandu' })
  // the first tick in the new zone: the first :15 after the change
  const next = changed.nextAt.getTime()
  expect(new Date(next).getUTCMinutes()).toBe(15)
  expect(next).toBeGreaterThan(changedAt - HOUR)
  expect(next).toBeLessThanOrEqual(changedAt + HOUR)
  const fresh = async () => (await ticks(schema)).filter((t) => t.at >= next)
  await eventually(
    'two ticks in the new zone ran',
    async () => (await fresh()).length >= 2,
    5_000,
    state,
  )
  await stopSchedulers(procs)

  // before the change, ticks at :00 UTC; from it on, at :15, every hour, none skipped
  const minute = (t: Tick) => new Date(t.at).getUTCMinutes()
  const before = (await ticks(schema)).filter((t) => t.at < next)
  expect(before.length).toBeGreaterThanOrEqual(2)
  expect(before.filter((t) => minute(t) !== 0 || t.at % 60_000 !== 0)).toEqual([])
  const after = await fresh()
  for (const [i, t] of after.entries()) {
    expect(t).toMatchObject({ at: next + i * HOUR, outcome: 'run' })
  }
})
