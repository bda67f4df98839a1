// tickwork, through its public API (the built package in dist/).
//
// Adapter interface (the same in every file of bench/peers/):
//   setup()                reset this library's schema / state and migrate
//   enqueueBulk(payloads)  one call of the library's bulk enqueue
//   startWorker(handler)   start working; `handler(payload)` runs inside each job's handler
//   enqueueOne(payload)    enqueue a single job
//   pending()              jobs not finished yet, as the library's store sees them
//   stop()                 stop everything, close connections, drop the schema
// and, here only, seedHistory(rows, job) for the history phase.
import { Tickwork } from '../../dist/index.js'
import { DATABASE_URL, dropSchema, ident, withClient } from '../util.mjs'

export const JOB = 'noop'

/**
 * `embedded: true` runs on PGlite in memory (`database: 'memory://'`); otherwise on the
 * shared Postgres in its own schema.
 */
export function createAdapter({
  embedded = false,
  concurrency = 100,
  prefetch = 0,
  schema = 'tickwork_bench',
  historyJob,
} = {}) {
  const database = embedded ? 'memory://' : DATABASE_URL
  let tw
  let handle = () => {}
  let job

  const make = () => {
    tw = new Tickwork({ database, schema, logger: false })
    job = tw.job(JOB, { concurrency, prefetch, run: ({ payload }) => handle(payload) })
    // the seeded history belongs to a job this app keeps a month of, as an app that
    // wants its reports' history would; retention then leaves those rows alone
    if (historyJob && historyJob !== JOB) {
      tw.job(historyJob, { keep: { completed: { age: '30d' } }, run: () => {} })
    }
    tw.on('error', (err) => console.error(`[tickwork] ${err?.stack ?? err}`))
  }

  return {
    name: embedded ? 'tickwork (embedded)' : 'tickwork',
    settings: embedded
      ? `database 'memory://' (PGlite), job concurrency ${concurrency}`
      : `job concurrency ${concurrency}${prefetch ? `, prefetch ${prefetch}` : ''}, default pool (10), LISTEN/NOTIFY wake-ups, default retention`,
    schema: embedded ? undefined : schema,

    async setup() {
      if (!embedded) await dropSchema(schema)
      make()
      await tw.migrate()
    },

    async enqueueBulk(payloads) {
      await job.enqueueMany(payloads.map((payload) => ({ payload })))
    },

    async startWorker(handler) {
      handle = handler
      await tw.start()
    },

    async enqueueOne(payload) {
      await job.enqueue(payload)
    },

    async pending() {
      const c = await tw.runs.counts(JOB)
      return c.waiting + c.delayed + c.active
    },

    /** Fills the history table with `rows` completed runs of `job` in one statement. */
    async seedHistory(rows, historyJob) {
      if (embedded) throw new Error('history seeding is for the Postgres store')
      const s = ident(schema)
      await withClient(async (c) => {
        // run ids are drawn from the live table's identity: seed below it, then move it on,
        // so the runs enqueued afterwards never collide with the seeded history
        await c.query(
          `INSERT INTO ${s}.run_history (id, job, payload, state, priority, run_at, key, source,
             attempt, max_attempts, backoff, timeout_ms, dead_letter, progress, errors, result,
             created_at, started_at, finished_at)
           SELECT g, $1, jsonb_build_object('i', g), 'completed', 0,
             now() - make_interval(secs => ($2 - g) / 1000.0), NULL, 'api', 1, 3,
             '{"type":"exponential","delayMs":1000,"maxDelayMs":3600000,"jitter":0}', NULL, NULL,
             NULL, '[]', NULL,
             now() - make_interval(secs => ($2 - g) / 1000.0),
             now() - make_interval(secs => ($2 - g) / 1000.0),
             now() - make_interval(secs => ($2 - g) / 1000.0)
           FROM generate_series(1, $2::int) AS g`,
          [historyJob, rows],
        )
        await c.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, [`${s}.runs`, rows])
        // a history that grew over months has been vacuumed and checkpointed; without
        // this, autovacuum and the checkpoint of the fresh bulk load run during the drain
        await c.query(`VACUUM (ANALYZE) ${s}.run_history`)
        await c.query('CHECKPOINT')
      })
    },

    async stop() {
      await tw?.stop({ grace: '10s' })
      if (!embedded) await dropSchema(schema)
    },
  }
}
