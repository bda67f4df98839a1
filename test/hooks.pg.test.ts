import { describe, expect, it } from 'vitest'
import { PermanentError, type TickworkEvents } from '../src/index.js'
import { drivers, freshSchema, makeTickwork, manualClock, until } from './helpers.js'

/**
 * A tickwork instance on a fresh schema with a `marks` table beside its runs, which the
 * hooks write; a mark 'bad' breaks its CHECK, which is how a test makes a hook throw.
 */
async function setup(options: Parameters<typeof makeTickwork>[0] = {}, allowErrors = false) {
  const schema = options.schema ?? freshSchema()
  const tw = makeTickwork({ schema, ...options }, { allowErrors })
  await tw.ready()
  const table = `"${schema}".marks`
  const db = { query: (sql: string) => tw.transaction((tx) => tx.query(sql)) }
  await db.query(
    `CREATE TABLE ${table} (id text PRIMARY KEY, mark text NOT NULL CHECK (mark <> 'bad'))`,
  )
  const marks = async () =>
    Object.fromEntries(
      (
        (await db.query(`SELECT id, mark FROM ${table}`)).rows as { id: string; mark: string }[]
      ).map((r) => [r.id, r.mark]),
    )
  return { tw, schema, table, marks }
}

describe.each(drivers)('on $driver', ({ database }) => {
  it('onCompleted writes in the transaction of the completion: both commit, or neither and the attempt is retried', async () => {
    const { tw, table, marks } = await setup({ database: database() })
    const seen: number[] = []
    const job = tw.job('write', {
      retry: { attempts: 3, backoff: 'fixed', delay: 1 },
      run: ({ payload, attempt }) => ({
        mark: attempt === 1 ? 'bad' : (payload as { mark: string }).mark,
      }),
      onCompleted: async ({ tx, run, result }) => {
        seen.push(run.attempt)
        await tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [
          run.key,
          (result as { mark: string }).mark,
        ])
      },
    })
    await tw.start()
    const { id } = await job.enqueue({ mark: 'confirmed' }, { key: 'c-1' })
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    const run = await tw.runs.get(id)
    // attempt 1: the hook's insert broke the CHECK, so the completion rolled back with it
    expect(seen).toEqual([1, 2])
    expect(run?.attempt).toBe(2)
    expect(run?.errors.map((e) => e.message)).toEqual([expect.stringContaining('check constraint')])
    expect(run?.result).toEqual({ mark: 'confirmed' })
    expect(await marks()).toEqual({ 'c-1': 'confirmed' })
  })

  it('onFailed writes in the transaction that fails the run for good, with its dead letter', async () => {
    const { tw, table, marks } = await setup({ database: database() })
    const ended: string[] = []
    tw.on('run:failed', (e) => ended.push(e.id))
    tw.job('dead', { run: () => {} })
    const job = tw.job('write', {
      retry: { attempts: 2, backoff: 'fixed', delay: 1 },
      deadLetter: 'dead',
      run: ({ attempt }) => {
        throw attempt === 1 ? new Error('chain unavailable') : new PermanentError('rejected')
      },
      onFailed: async ({ tx, run, payload, error }) => {
        await tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [
          (payload as { id: string }).id,
          `${error.message} after ${run.attempt} (id ${typeof run.id})`,
        ])
      },
    })
    await tw.start()
    const { id } = await job.enqueue({ id: 'c-2' })
    await until(() => ended.includes(id))
    expect(await marks()).toEqual({ 'c-2': 'rejected after 2 (id string)' })
    // the dead letter was enqueued in the same transaction: it exists, whatever its state now
    const dead = await tw.runs.counts('dead')
    expect(Object.values(dead).reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('a constraint the hook broke that fails only at commit fails the attempt, not forever', async () => {
    const { tw, schema } = await setup({ database: database() })
    const table = `"${schema}".deferred`
    await tw.query(
      `CREATE TABLE ${table} (id text, CONSTRAINT once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`,
    )
    await tw.query(`INSERT INTO ${table} VALUES ('taken')`)
    const job = tw.job('write', {
      retry: { attempts: 2, backoff: 'fixed', delay: 1 },
      run: () => null,
      onCompleted: ({ tx, run }) =>
        tx.query(`INSERT INTO ${table} VALUES ($1)`, [run.attempt === 1 ? 'taken' : 'fresh']),
    })
    await tw.start()
    const { id } = await job.enqueue(null)
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    const run = await tw.runs.get(id)
    expect(run?.attempt).toBe(2)
    expect(run?.errors.map((e) => e.message)).toEqual([expect.stringContaining('duplicate key')])
    const { rows } = await tw.query(`SELECT id FROM ${table} ORDER BY id`)
    expect(rows).toEqual([{ id: 'fresh' }, { id: 'taken' }])
  })

  it('a throwing onFailed leaves the run held and is tried again until it commits', async () => {
    const { tw, table, marks } = await setup({ database: database() }, true)
    const errors: Error[] = []
    let calls = 0
    const job = tw.job('write', {
      retry: { attempts: 1 },
      run: () => {
        throw new Error('boom')
      },
      onFailed: async ({ tx, payload }) => {
        calls++
        await tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [
          payload,
          calls < 3 ? 'bad' : 'failed',
        ])
      },
    })
    tw.on('error', (e) => errors.push(e))
    await tw.start()
    const { id } = await job.enqueue('c-3')
    await until(async () => (await tw.runs.get(id))?.state === 'failed')
    expect(calls).toBe(3)
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('check constraint'),
      expect.stringContaining('check constraint'),
    ])
    expect(await marks()).toEqual({ 'c-3': 'failed' })
  })
})

it('the stalled-run sweep runs onFailed when it gives up a run whose worker died on its last attempt', async () => {
  // the worker's clock stands still, so the sweeper, an hour ahead, sees its lease long expired
  const workerClock = manualClock()
  const { tw: worker, schema, table, marks } = await setup({ clock: workerClock, leaseTime: '1s' })
  let started = false
  const define = (tw: typeof worker) =>
    tw.job('write', {
      retry: { attempts: 1 },
      run: () => {
        started = true
        return new Promise(() => {})
      },
      onFailed: ({ tx, payload, error }) =>
        tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [payload, error.name]),
    })
  const job = define(worker)
  await worker.start({ maintenance: false })
  const { id } = await job.enqueue('c-4')
  await until(() => started)
  // a process that does not define the job sweeps first: the last attempt is not its to fail
  const later = workerClock.now() + 3_600_000
  const stranger = makeTickwork({ schema, clock: manualClock(later), leaseTime: '1s' })
  stranger.job('other', { run: () => {} })
  let swept = 0
  stranger.on('run:stalled', () => swept++)
  await stranger.start({ worker: false, scheduler: false })
  // its sweep runs every half lease: three passes or so
  await new Promise((r) => setTimeout(r, 1_500))
  await stranger.stop()
  expect(swept).toBe(0)
  expect((await worker.runs.get(id))?.state).toBe('active')
  expect(await marks()).toEqual({})
  // later still: the stranger's passes hold the sweep's chore on its stopped clock
  const sweeper = makeTickwork({ schema, clock: manualClock(later + 60_000), leaseTime: '1s' })
  define(sweeper)
  const failed: Array<TickworkEvents['run:failed']> = []
  sweeper.on('run:failed', (e) => failed.push(e))
  await sweeper.start({ worker: false, scheduler: false })
  await until(() => failed.length === 1)
  expect((await sweeper.runs.get(id))?.state).toBe('failed')
  expect(await marks()).toEqual({ 'c-4': 'StalledError' })
})

it('a deploy that drops onFailed clears the flag, so any sweep may fail the job again', async () => {
  const schema = freshSchema()
  const flag = async (tw: ReturnType<typeof makeTickwork>) =>
    (await tw.query(`SELECT on_failed FROM "${schema}".queues WHERE job = 'j'`)).rows
  const before = makeTickwork({ schema })
  before.job('j', { run: () => {}, onFailed: () => {} })
  await before.start({ worker: false, scheduler: false })
  expect(await flag(before)).toEqual([{ on_failed: true }])
  await before.stop()
  const after = makeTickwork({ schema })
  after.job('j', { run: () => {} })
  await after.start({ worker: false, scheduler: false })
  expect(await flag(after)).toEqual([{ on_failed: false }])
})
