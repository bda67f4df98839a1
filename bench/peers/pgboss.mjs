// pg-boss 12, through its documented public API. Interface: see bench/peers/tickwork.mjs.
//
// Settings, as documented in its typings (dist/types.d.ts, ConstructorOptions / Queue /
// JobPollingOptions / WorkConcurrencyOptions): `useListenNotify: true` on the instance and
// `notify: true` on the queue (a NOTIFY wakes workers at once), several workers per
// process (`localConcurrency`), a batch per fetch (`batchSize`), and
// `burstWhenBatchFull` (fetch again at once while batches come back full). A batch of
// 500 matches the 500-job fetches of graphile-worker's documented local queue; pg-boss
// hands a batch to one handler call, which here runs each job's (no-op) body in turn.
import { PgBoss } from 'pg-boss'
import { DATABASE_URL, dropSchema, ident } from '../util.mjs'

const QUEUE = 'noop'

export function createAdapter({
  schema = 'pgboss_bench',
  localConcurrency = 2,
  batchSize = 500,
  max = 10,
} = {}) {
  let boss

  return {
    name: 'pg-boss',
    settings:
      `useListenNotify, queue notify, localConcurrency ${localConcurrency}, batchSize ${batchSize}, ` +
      `burstWhenBatchFull, pool max ${max}`,
    schema,

    async setup() {
      await dropSchema(schema)
      boss = new PgBoss({
        connectionString: DATABASE_URL,
        schema,
        max,
        useListenNotify: true,
        schedule: false,
      })
      boss.on('error', (err) => console.error(`[pg-boss] ${err?.stack ?? err}`))
      await boss.start()
      await boss.createQueue(QUEUE, { notify: true })
    },

    async enqueueBulk(payloads) {
      await boss.insert(
        QUEUE,
        payloads.map((data) => ({ data })),
      )
    },

    async startWorker(handler) {
      await boss.work(
        QUEUE,
        { localConcurrency, batchSize, burstWhenBatchFull: true },
        async (jobs) => {
          for (const job of jobs) handler(job.data)
        },
      )
    },

    async enqueueOne(payload) {
      await boss.send(QUEUE, payload)
    },

    async pending() {
      const res = await boss.getDb().executeSql(
        `SELECT count(*)::int AS n FROM ${ident(schema)}.job
           WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
        [QUEUE],
      )
      return res.rows[0].n
    },

    async stop() {
      await boss?.stop({ graceful: true, close: true, timeout: 10_000 })
      await dropSchema(schema)
    },
  }
}
