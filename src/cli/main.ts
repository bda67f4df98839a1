#!/usr/bin/env node
import { Command, Option } from 'commander'
import { Tickwork } from '../client/tickwork.js'
import { TickworkError } from '../errors.js'
import { DEFAULT_DATA_DIR } from '../store/open.js'
import { DEFAULT_SCHEMA } from '../store/schema.js'
import { toMs } from '../util/duration.js'
import { defineExamples } from './examples.js'

const program = new Command('tickwork')
  .description('cron schedules and durable background jobs on Postgres')
  .showHelpAfterError()

const databaseOption = () =>
  new Option(
    '-d, --database <url>',
    `postgres:// URL, or pglite:<folder> / memory:// for the embedded store; default: embedded in ${DEFAULT_DATA_DIR}`,
  ).env('DATABASE_URL')
const schemaOption = () =>
  new Option('-s, --schema <name>', 'schema of the tables')
    .env('TICKWORK_SCHEMA')
    .default(DEFAULT_SCHEMA)

program
  .command('migrate')
  .description('apply pending migrations and exit')
  .addOption(databaseOption())
  .addOption(schemaOption())
  .action(async (o: { database?: string; schema: string }) => {
    const tw = new Tickwork({
      database: o.database,
      schema: o.schema,
      logger: false,
      migrate: false,
    })
    try {
      const applied = await tw.migrate()
      console.log(
        applied.length ? `applied migrations ${applied.join(', ')}` : 'schema is up to date',
      )
    } finally {
      await tw.stop()
    }
  })

program
  .command('start')
  .description(
    'run the worker, scheduler and maintenance until SIGTERM or SIGINT (for now with --examples only: without it, exits with code 2)',
  )
  .addOption(databaseOption())
  .addOption(schemaOption())
  .option('--examples', 'define the example jobs and enqueue one run of each every 5 s')
  .option('--grace <duration>', 'on stop, how long running handlers may finish', '20s')
  .action(async (o: { database?: string; schema: string; examples?: boolean; grace: string }) => {
    const grace = toMs(o.grace, '--grace')
    const tw = new Tickwork({ database: o.database, schema: o.schema })
    tw.on('error', (err) => tw.logger.error({ err }, 'background error'))
    tw.on('run:completed', (e) =>
      tw.logger.info(
        { job: e.job, runId: e.id, attempt: e.attempt, durationMs: Math.round(e.durationMs) },
        'run completed',
      ),
    )
    tw.on('run:retrying', (e) =>
      tw.logger.warn(
        { job: e.job, runId: e.id, attempt: e.attempt, retryAt: e.retryAt, error: e.error.message },
        'run will retry',
      ),
    )
    tw.on('run:failed', (e) =>
      tw.logger.error(
        { job: e.job, runId: e.id, attempt: e.attempt, error: e.error.message },
        'run failed',
      ),
    )
    if (!o.examples) {
      console.error(
        'no jobs to run: job definitions from a config module come with the control-plane release; try --examples',
      )
      process.exitCode = 2
      return
    }
    const feed = defineExamples(tw)
    await tw.start()
    const where = o.database ? 'the database given' : `the embedded store in ${DEFAULT_DATA_DIR}`
    tw.logger.info(
      `tickwork started on ${where} with the example jobs greet, flaky, count, heartbeat (every 15 s), events-since (windowed, every 20 s); runs are logged below; Ctrl-C stops`,
    )
    await feed()
    const timer = setInterval(
      () => feed().catch((err) => tw.logger.error({ err }, 'enqueue failed')),
      5000,
    )
    const stop = async (signal: string) => {
      clearInterval(timer)
      tw.logger.info(`${signal}: stopping, running handlers get ${o.grace}`)
      await tw.stop({ grace })
      process.exit(0)
    }
    process.once('SIGTERM', () => void stop('SIGTERM'))
    process.once('SIGINT', () => void stop('SIGINT'))
  })

program.parseAsync().catch((err: unknown) => {
  if (err instanceof TickworkError) {
    console.error(`tickwork: ${err.message}`)
    process.exit(err.code === 'VALIDATION' ? 2 : 1)
  }
  console.error(err)
  process.exit(1)
})
