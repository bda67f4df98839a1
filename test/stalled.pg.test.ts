import { expect, it } from 'vitest'
import type { TickworkEvents } from '../src/index.js'
import { freshSchema, makeTickwork, manualClock, until } from './helpers.js'

it('takes back a run whose lease lapsed, counts the attempt, and aborts the old handler', async () => {
  const schema = freshSchema()
  // the worker's clock stands still, so its renewals write leases that the sweeper,
  // an hour ahead, sees as long expired: a worker that stopped answering
  const workerClock = manualClock()
  const worker = makeTickwork({ schema, clock: workerClock, leaseTime: '1s' })
  let signal: AbortSignal | undefined
  const job = worker.job('hang', {
    run: (ctx) => {
      signal = ctx.signal
      return new Promise(() => {})
    },
  })
  await worker.start({ maintenance: false })
  const { id } = await job.enqueue(null)
  await until(() => signal !== undefined)

  const sweeper = makeTickwork({
    schema,
    clock: manualClock(workerClock.now() + 3_600_000),
    leaseTime: '1s',
  })
  const stalled: Array<TickworkEvents['run:stalled']> = []
  sweeper.on('run:stalled', (e) => stalled.push(e))
  await sweeper.start()
  await until(() => stalled.length === 1)
  expect(stalled[0]).toEqual({ id, job: 'hang', attempt: 1 })
  const run = await sweeper.runs.get(id)
  expect(run?.attempt).toBe(1)
  expect(run?.errors.map((e) => e.name)).toEqual(['StalledError'])
  expect(['waiting', 'delayed']).toContain(run?.state)
  await until(() => signal?.aborted === true)
  expect(String(signal?.reason)).toContain('lease')
})
