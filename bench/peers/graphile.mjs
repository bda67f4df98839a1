// graphile-worker 0.18, through its documented public API (run, runMigrations,
// makeWorkerUtils). Interface: see bench/peers/tickwork.mjs.
//
// Settings are the ones of its performance page (worker.graphile.org/docs/performance):
// concurrentJobs 24, maxPoolSize 25, localQueue { size: 500 }, completeJobBatchDelay 0,
// failJobBatchDelay 0. The batching options are described in its typings
// (GraphileConfig.WorkerOptions in dist/index.d.ts), "@see .../docs/performance#batching".
import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker'
import { DATABASE_URL, dropSchema, ident } from '../util.mjs'

const TASK = 'noop'
const silent = new Logger(() => () => {})

export function createAdapter({
  schema = 'graphile_bench',
  concurrency = 24,
  maxPoolSize = 25,
  localQueueSize = 500,
  completeJobBatchDelay = 0,
} = {}) {
  const base = { connectionString: DATABASE_URL, schema, logger: silent }
  let utils
  let runner

  return {
    name: 'graphile-worker',
    settings:
      `concurrency ${concurrency}, maxPoolSize ${maxPoolSize}, localQueue.size ${localQueueSize}, ` +
      `completeJobBatchDelay ${completeJobBatchDelay}, failJobBatchDelay ${completeJobBatchDelay}`,
    schema,

    async setup() {
      await dropSchema(schema)
      await runMigrations(base)
      utils = await makeWorkerUtils(base)
    },

    async enqueueBulk(payloads) {
      await utils.addJobs(payloads.map((payload) => ({ identifier: TASK, payload })))
    },

    async startWorker(handler) {
      runner = await run({
        ...base,
        concurrency,
        maxPoolSize,
        noHandleSignals: true,
        taskList: {
          [TASK]: async (payload) => {
            handler(payload)
          },
        },
        preset: {
          worker: {
            localQueue: { size: localQueueSize },
            completeJobBatchDelay,
            failJobBatchDelay: completeJobBatchDelay,
          },
        },
      })
    },

    async enqueueOne(payload) {
      await utils.addJob(TASK, payload)
    },

    async pending() {
      // completed jobs are deleted; what is left is waiting, locked or failed
      return utils.withPgClient(async (c) => {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${ident(schema)}.jobs`)
        return rows[0].n
      })
    },

    async stop() {
      await runner?.stop()
      await utils?.release()
      await dropSchema(schema)
    },
  }
}
