// BullMQ 6 on its PostgreSQL backend, through its documented public API. Interface: see
// bench/peers/tickwork.mjs.
//
// BullMQ 6 ships a PostgreSQL backend: `createPostgresBackend`, passed as the last
// constructor argument (docs.bullmq.io/guide/postgresql; the package's
// dist/esm/postgres/*.d.ts). Its Redis backend would need the optional `ioredis` peer,
// which is not installed here.
//
// Settings from that guide's "Performance / Tuning tips": a worker concurrency in the
// 8-32 range its own numbers use, a pool (`max`) sized for that concurrency, and
// `removeOnComplete` so finished jobs do not pile up; the schema is migrated explicitly
// with `runMigrations`, as its "Migrations" section shows.
import { createPostgresBackend, Queue, runMigrations, Worker } from 'bullmq'
import pg from 'pg'
import { DATABASE_URL, dropSchema } from '../util.mjs'

const QUEUE = 'noop'

export function createAdapter({ schema = 'bullmq_bench', concurrency = 32, max = 34 } = {}) {
  const opts = () => ({ connection: { connectionString: DATABASE_URL, schema, max } })
  let queue
  let worker

  return {
    name: 'BullMQ (Postgres)',
    settings: `createPostgresBackend, worker concurrency ${concurrency}, pool max ${max}, removeOnComplete`,
    schema,

    async setup() {
      await dropSchema(schema)
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      try {
        await runMigrations(client, schema)
      } finally {
        await client.end()
      }
      queue = new Queue(
        QUEUE,
        { ...opts(), defaultJobOptions: { removeOnComplete: true, removeOnFail: true } },
        createPostgresBackend,
      )
      queue.on('error', (err) => console.error(`[bullmq queue] ${err?.stack ?? err}`))
      await queue.waitUntilReady()
    },

    async enqueueBulk(payloads) {
      await queue.addBulk(payloads.map((data) => ({ name: QUEUE, data })))
    },

    async startWorker(handler) {
      worker = new Worker(
        QUEUE,
        async (job) => {
          handler(job.data)
        },
        { ...opts(), concurrency },
        createPostgresBackend,
      )
      worker.on('error', (err) => console.error(`[bullmq worker] ${err?.stack ?? err}`))
      await worker.waitUntilReady()
    },

    async enqueueOne(payload) {
      await queue.add(QUEUE, payload)
    },

    async pending() {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused')
      return Object.values(c).reduce((a, b) => a + b, 0)
    },

    async stop() {
      await worker?.close()
      await queue?.close()
      await dropSchema(schema)
    },
  }
}
