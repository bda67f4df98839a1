import { expect, it } from 'vitest'
import { pgClient } from '../helpers.js'
import { eventually, outputs, setup, startWorkers, stopAll } from './children.js'

const db = await pgClient()

it('4 worker processes drain 10,000 runs, each executed and completed exactly once; two of them fetch ahead', async () => {
  const RUNS = 10_000
  const jobOptions = { concurrency: 20 }
  const { schema, tw, job } = await setup(db, jobOptions)
  // a long lease: no run may be taken back here, so a second execution is a bug; a
  // small pool: four processes share the server's connections (100 by default)
  const options = { leaseTime: '30s', pollInterval: 100, poolSize: 5 }
  const workers = [
    ...(await startWorkers(2, { schema, jobOptions, options })),
    ...(await startWorkers(2, { schema, jobOptions: { ...jobOptions, prefetch: 60 }, options })),
  ]
  const enqueued = await job.enqueueMany(Array.from({ length: RUNS }, (_, i) => ({ payload: i })))
  expect(enqueued).toHaveLength(RUNS)
  expect(new Set(enqueued.map((e) => e.id)).size).toBe(RUNS)

  await eventually(
    'all runs completed',
    async () => (await tw.runs.counts()).completed >= RUNS,
    40_000,
    async () => ({
      counts: await tw.runs.counts(),
      byPid: (
        await db.query(`SELECT pid, count(*)::int AS n FROM "${schema}".executions GROUP BY pid`)
      ).rows,
      children: outputs(workers),
    }),
    100,
  )
  await stopAll(workers)

  expect(await tw.runs.counts()).toEqual({
    waiting: 0,
    delayed: 0,
    active: 0,
    completed: RUNS,
    failed: 0,
    cancelled: 0,
  })
  const { rows } = await db.query<{ n: number; runs: number; first: number; pids: number[] }>(
    `SELECT count(*)::int AS n, count(DISTINCT run_id)::int AS runs,
            count(*) FILTER (WHERE attempt = 1)::int AS first,
            array_agg(DISTINCT pid) AS pids
     FROM "${schema}".executions`,
  )
  expect(rows[0]).toMatchObject({ n: RUNS, runs: RUNS, first: RUNS })
  // every process took part
  expect([...(rows[0]?.pids ?? [])].sort()).toEqual(workers.map((w) => w.pid).sort())
  // the runs executed are exactly the runs enqueued
  const missing = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM unnest($1::bigint[]) AS e(id)
     WHERE NOT EXISTS (SELECT 1 FROM "${schema}".executions x WHERE x.run_id = e.id)`,
    [enqueued.map((e) => e.id)],
  )
  expect(missing.rows[0]?.n).toBe(0)
  // each filed once, completed at its first attempt without error
  const history = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${schema}".run_history
     WHERE state = 'completed' AND attempt = 1 AND errors = '[]'`,
  )
  expect(history.rows[0]?.n).toBe(RUNS)
})
