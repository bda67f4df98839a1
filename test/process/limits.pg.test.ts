import { expect, it } from 'vitest'
import { pgClient } from '../helpers.js'
import { eventually, executions, outputs, setup, startWorkers, stopAll } from './children.js'

const db = await pgClient()

/** The most intervals [start, end) that hold one instant, from a table of intervals. */
async function maxOverlap(table: string, start: string, end: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT max((SELECT count(*) FROM ${table} f
                 WHERE f.${start} <= e.${start} AND f.${end} > e.${start}))::int AS n
     FROM ${table} e`,
  )
  return rows[0]?.n ?? 0
}

/**
 * Runs `runs` runs of a job with `jobOptions` across 3 worker processes, waits until
 * all completed, stops the processes, and checks each ran exactly once.
 */
async function drainAcrossThree(runs: number, jobOptions: object, handler?: string) {
  const { schema, tw, job } = await setup(db, jobOptions)
  const workers = await startWorkers(3, {
    schema,
    jobOptions,
    options: { leaseTime: '10s', pollInterval: 50, poolSize: 4 },
    ...(handler ? { handler } : {}),
  })
  await job.enqueueMany(Array.from({ length: runs }, (_, i) => ({ payload: i })))
  await eventually(
    'all runs completed',
    async () => (await tw.runs.counts()).completed === runs,
    20_000,
    async () => ({ counts: await tw.runs.counts(), children: outputs(workers) }),
  )
  await stopAll(workers)
  expect(await tw.runs.counts()).toMatchObject({ completed: runs, waiting: 0, active: 0 })
  const done = await executions(db, schema)
  expect(done).toHaveLength(runs)
  expect(new Set(done.map((e) => e.run_id)).size).toBe(runs)
  return { schema, done }
}

it('globalConcurrency 2 holds across 3 processes of concurrency 5', async () => {
  const RUNS = 20
  const jobOptions = { concurrency: 5, globalConcurrency: 2 }
  const { schema, done } = await drainAcrossThree(RUNS, jobOptions, 'sleep:100')
  expect(done.every((e) => e.ended_at !== null)).toBe(true)
  // Which processes ran the runs is not asserted: the process whose run just finished
  // often takes the next at once, so one process may run them all. The contention is
  // at the start: all three, each with 5 free slots, fetch on the same notification.
  expect({
    // handlers at once, by the database's clock: never above 2, and 2 is reached
    handlersAtOnce: await maxOverlap(`"${schema}".executions`, 'started_at', 'ended_at'),
    // runs active at once (claimed to completion written), by the runs' own times
    activeAtOnce: await maxOverlap(`"${schema}".run_history`, 'started_at', 'finished_at'),
  }).toEqual({ handlersAtOnce: 2, activeAtOnce: 2 })
})

/** Start times grouped into the limiter's fixed windows: each opens at the first start past the last. */
function windows(starts: number[], perMs: number): number[][] {
  const out: number[][] = []
  let open = Number.NEGATIVE_INFINITY
  for (const t of [...starts].sort((a, b) => a - b)) {
    // 5 ms of slack: a window opens when a fetch reads the clock, and stamps its runs
    // with a second reading a moment later
    if (t >= open + perMs - 5) {
      open = t
      out.push([])
    }
    out[out.length - 1]?.push(t)
  }
  return out
}

it('rateLimit 10 per second holds across 3 processes: 40 runs take 4 windows', async () => {
  const RUNS = 40
  const jobOptions = { concurrency: 5, rateLimit: { max: 10, per: '1s' } }
  const { schema } = await drainAcrossThree(RUNS, jobOptions)

  // the times the limiter let each run start (the claim, stamped in the same transaction
  // that counted the window), from the history; a handler's own start lags its claim by
  // a varying wait (for a connection, for the event loop), too loose to group by window
  const { rows } = await db.query<{ t: number }>(
    `SELECT (extract(epoch FROM started_at) * 1000)::float8 AS t FROM "${schema}".run_history`,
  )
  const claimed = rows.map((r) => r.t)
  expect(claimed).toHaveLength(RUNS)
  const byWindow = windows(claimed, 1000)
  expect(byWindow.map((w) => w.length).filter((n) => n > 10)).toEqual([])
  // 40 starts at 10 a window need 4 windows: the last opens 3 s after the first
  expect(Math.max(...claimed) - Math.min(...claimed)).toBeGreaterThanOrEqual(2990)
})
