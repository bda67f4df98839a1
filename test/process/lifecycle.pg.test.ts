import { expect, it } from 'vitest'
import type { Tickwork } from '../../src/index.js'
import { pgClient } from '../helpers.js'
import {
  type Child,
  type ChildSettings,
  eventually,
  executions,
  outputs,
  setup,
  startWorkers,
  stopAll,
} from './children.js'

const db = await pgClient()

/** Active runs, and handlers started by `child`, right now. */
async function inFlight(schema: string, child: Child) {
  const { rows } = await db.query<{ active: number; started: number }>(
    `SELECT (SELECT count(*)::int FROM "${schema}".runs WHERE state = 'active') AS active,
            (SELECT count(*)::int FROM "${schema}".executions WHERE pid = $1) AS started`,
    [child.pid],
  )
  return rows[0] as { active: number; started: number }
}

/** Waits until `n` runs are active and `child` has started `started` (all `n`) handlers. */
async function untilInFlight(schema: string, child: Child, n: number, what: string, started = n) {
  await eventually(
    what,
    async () => {
      const now = await inFlight(schema, child)
      return now.active === n && now.started === started
    },
    10_000,
    async () => ({ now: await inFlight(schema, child), children: outputs([child]) }),
  )
}

/** Starts a worker that takes back `doomed`'s runs, waits until `n` runs completed, stops it. */
async function rescue(settings: ChildSettings, tw: Tickwork, doomed: Child, n: number) {
  const [rescuer] = (await startWorkers(1, settings)) as [Child]
  await eventually(
    'every run completed',
    async () => (await tw.runs.counts()).completed === n,
    20_000,
    async () => ({ counts: await tw.runs.counts(), children: outputs([doomed, rescuer]) }),
  )
  await stopAll([rescuer])
  return rescuer
}

it('a worker killed with SIGKILL loses no run: lease expiry brings its runs back, the attempt counted', async () => {
  const jobOptions = { concurrency: 5, retry: { attempts: 3, delay: '100ms' } }
  const options = { leaseTime: '1s', pollInterval: 100 }
  const { schema, tw, job } = await setup(db, jobOptions)
  const [doomed] = (await startWorkers(1, {
    schema,
    jobOptions,
    options,
    handler: 'sleep:2000',
  })) as [Child]
  const runs = await job.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ payload: i })))

  await untilInFlight(
    schema,
    doomed,
    5,
    'five runs active in the first process, their handlers started',
  )
  doomed.kill('SIGKILL')
  expect(await doomed.exitWithin(5_000)).toEqual({ code: null, signal: 'SIGKILL' })
  const killed = (
    await db.query<{ id: string }>(
      `SELECT id::text FROM "${schema}".runs WHERE state = 'active' ORDER BY id`,
    )
  ).rows.map((r) => r.id)
  expect(killed).toHaveLength(5)

  const rescuer = await rescue({ schema, jobOptions, options }, tw, doomed, 10)

  expect(await tw.runs.counts()).toEqual({
    waiting: 0,
    delayed: 0,
    active: 0,
    completed: 10,
    failed: 0,
    cancelled: 0,
  })
  const done = await executions(db, schema)
  expect(done).toHaveLength(15)
  for (const { id } of runs) {
    const mine = done
      .filter((e) => e.run_id === id)
      .map((e) => ({
        attempt: e.attempt,
        pid: e.pid,
        ended: e.ended_at !== null,
      }))
    const run = await tw.runs.get(id)
    if (killed.includes(id)) {
      // cut short in the killed process, then done again, once, by the rescuer
      expect(mine).toEqual([
        { attempt: 1, pid: doomed.pid, ended: false },
        { attempt: 2, pid: rescuer.pid, ended: true },
      ])
      expect(run).toMatchObject({ state: 'completed', attempt: 2 })
      expect(run?.errors.map((e) => ({ attempt: e.attempt, name: e.name }))).toEqual([
        { attempt: 1, name: 'StalledError' },
      ])
      expect(run?.errors[0]?.message).toMatch(/lease expired/)
    } else {
      expect(mine).toEqual([{ attempt: 1, pid: rescuer.pid, ended: true }])
      expect(run).toMatchObject({ state: 'completed', attempt: 1, errors: [] })
    }
  }
})

it('SIGTERM lets the runs in flight finish, takes no new one, and exits 0', async () => {
  const jobOptions = { concurrency: 3 }
  const { schema, tw, job } = await setup(db, jobOptions)
  const [worker] = (await startWorkers(1, {
    schema,
    jobOptions,
    options: { leaseTime: '5s', pollInterval: 100 },
    handler: 'sleep:500',
  })) as [Child]
  const runs = await job.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ payload: i })))
  await untilInFlight(schema, worker, 3, 'three runs in flight')
  const { rows } = await db.query<{ t: Date }>('SELECT clock_timestamp() AS t')
  const signalled = rows[0]?.t as Date
  worker.kill('SIGTERM')
  expect(await worker.exitWithin(10_000)).toEqual({ code: 0, signal: null })
  expect(worker.stderr).toBe('')
  expect(worker.lines).toEqual(['ready', 'stopped'])

  expect(await tw.runs.counts()).toEqual({
    waiting: 2,
    delayed: 0,
    active: 0,
    completed: 3,
    failed: 0,
    cancelled: 0,
  })
  const done = await executions(db, schema)
  expect(done).toHaveLength(3)
  for (const e of done) {
    // each was still running when the signal came, and was let finish
    expect(e.ended_at).not.toBeNull()
    expect((e.ended_at as Date).getTime()).toBeGreaterThan(signalled.getTime())
    expect(await tw.runs.get(e.run_id)).toMatchObject({
      state: 'completed',
      attempt: 1,
      errors: [],
    })
  }
  const untouched = runs.filter((r) => !done.some((e) => e.run_id === r.id))
  expect(untouched).toHaveLength(2)
  for (const r of untouched) {
    expect(await tw.runs.get(r.id)).toMatchObject({ state: 'waiting', attempt: 0, errors: [] })
  }
})

it('past the grace, a handler deaf to its signal has its run handed back uncounted; another process completes it', async () => {
  const jobOptions = { concurrency: 1 }
  const options = { leaseTime: '5s', pollInterval: 100 }
  const { schema, tw, job } = await setup(db, jobOptions)
  const [stubborn] = (await startWorkers(1, {
    schema,
    jobOptions,
    options,
    handler: 'sleep:10000',
    grace: '200ms',
  })) as [Child]
  const { id } = await job.enqueue(null)
  await untilInFlight(schema, stubborn, 1, 'the run in flight')
  const signalled = Date.now()
  stubborn.kill('SIGTERM')
  // the grace is 200 ms: far sooner than the handler's 10 s
  expect(await stubborn.exitWithin(5_000)).toEqual({ code: 0, signal: null })
  expect(Date.now() - signalled).toBeLessThan(5_000)
  expect(stubborn.stderr).toBe('')

  expect(await tw.runs.get(id)).toMatchObject({ state: 'waiting', attempt: 0, errors: [] })
  const row = await db.query(`SELECT worker, lease_until, started_at FROM "${schema}".runs`)
  expect(row.rows).toEqual([{ worker: null, lease_until: null, started_at: null }])

  const [heir] = (await startWorkers(1, { schema, jobOptions, options })) as [Child]
  await eventually(
    'the run completed by the second process',
    async () => (await tw.runs.counts()).completed === 1,
    10_000,
    async () => ({ counts: await tw.runs.counts(), children: outputs([stubborn, heir]) }),
  )
  await stopAll([heir])
  expect(await tw.runs.get(id)).toMatchObject({ state: 'completed', attempt: 1, errors: [] })
  const done = await executions(db, schema)
  expect(done.map((e) => ({ attempt: e.attempt, pid: e.pid, ended: e.ended_at !== null }))).toEqual(
    [
      { attempt: 1, pid: stubborn.pid, ended: false },
      { attempt: 1, pid: heir.pid, ended: true },
    ],
  )
})

it('a worker killed with SIGKILL while holding runs fetched ahead loses none: they come back, the attempt counted', async () => {
  const jobOptions = { concurrency: 2, retry: { attempts: 3, delay: '100ms' } }
  const options = { leaseTime: '1s', pollInterval: 100 }
  const { schema, tw, job } = await setup(db, jobOptions)
  const [doomed] = (await startWorkers(1, {
    schema,
    jobOptions: { ...jobOptions, prefetch: 3 },
    options,
    handler: 'sleep:2000',
  })) as [Child]
  const runs = await job.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ payload: i })))
  await untilInFlight(schema, doomed, 5, 'two handlers started and three runs held', 2)
  doomed.kill('SIGKILL')
  expect(await doomed.exitWithin(5_000)).toEqual({ code: null, signal: 'SIGKILL' })

  const rescuer = await rescue({ schema, jobOptions, options }, tw, doomed, 5)
  const done = await executions(db, schema)
  const started = done.filter((e) => e.pid === doomed.pid).map((e) => e.run_id)
  expect(started).toHaveLength(2)
  for (const { id } of runs) {
    const mine = done.filter((e) => e.run_id === id)
    // a held run never ran in the killed process, but its attempt was counted at fetch
    expect(mine.map((e) => e.pid)).toEqual(
      started.includes(id) ? [doomed.pid, rescuer.pid] : [rescuer.pid],
    )
    expect(await tw.runs.get(id)).toMatchObject({ state: 'completed', attempt: 2 })
  }
})
