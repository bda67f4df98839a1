import { randomBytes } from 'node:crypto'
import { relative } from 'node:path'
import type { Command } from 'commander'
import type { Logger } from 'pino'
import { Tickwork } from '../../client/tickwork.js'
import { createApp } from '../../http/app.js'
import { type Listening, serve } from '../../http/serve.js'
import { createMetrics, type Metrics } from '../../metrics/metrics.js'
import {
  connectionOptions,
  databaseName,
  noConfig,
  openTickwork,
  reachable,
  settingOption,
  settingsOf,
  tickworkOptions,
} from '../context.js'
import { UsageError } from '../errors.js'
import { defineExamples } from '../examples.js'
import { createLogger, logRuns } from '../logger.js'
import { ms } from '../output.js'

interface Flags {
  database?: string
  schema?: string
  config?: string
  port?: string
  host?: string
  grace?: string
  examples?: boolean
  devToken?: boolean
  worker: boolean
  scheduler: boolean
  http: boolean
  dashboard: boolean
}

const EXAMPLES =
  'the example jobs greet, flaky, count, heartbeat (every 15 s), events-since (windowed, every 20 s); one run of greet, flaky and count is enqueued every 5 s'

/** Serves the API and the dashboard, or says plainly why the port cannot be had. */
async function listen(
  tw: Tickwork,
  s: ReturnType<typeof settingsOf>,
  logger: Logger,
  options: { admin: string[]; dashboard: boolean },
) {
  const metrics = createMetrics(tw)
  const app = createApp(tw, {
    tokens: { admin: options.admin, read: s.readTokens ?? [] },
    cronSecret: s.cronSecret,
    metrics,
    logger,
    dashboard: options.dashboard,
  })
  try {
    return { metrics, server: await serve(app, { port: s.port, hostname: s.host }) }
  } catch (err) {
    metrics.close()
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw new UsageError(
        `cannot listen on ${s.host}:${s.port} (${code}): set PORT or --port, or --no-http`,
      )
    throw err
  }
}

/**
 * Resolves with the first SIGTERM or SIGINT; a second one exits at once with 130.
 * Listening from the outset, so a signal during startup stops once started.
 */
function firstSignal(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let seen = false
    const on = (signal: string) => {
      if (seen) {
        logger.warn(`${signal} again: exiting at once`)
        process.exit(130)
      }
      seen = true
      resolve(signal)
    }
    process.on('SIGTERM', () => on('SIGTERM'))
    process.on('SIGINT', () => on('SIGINT'))
  })
}

/** `start`. */
export function registerStart(program: Command): void {
  connectionOptions(
    program
      .command('start')
      .summary('run the jobs: worker, scheduler, maintenance, HTTP server')
      .description(
        'run the jobs of the config module (or --examples) until SIGTERM or SIGINT: worker, scheduler, maintenance and the HTTP server (dashboard at /, API, /trigger/<job>, /healthz, /readyz, /metrics) in one process',
      ),
    { remote: false },
  )
    .option('--examples', `run ${EXAMPLES}`)
    .addOption(settingOption('port'))
    .addOption(settingOption('host'))
    .addOption(settingOption('graceMs'))
    .option('--no-worker', 'do not run handlers here')
    .option('--no-scheduler', 'do not handle schedule ticks and backfills here')
    .option('--no-http', 'do not serve HTTP')
    .option('--no-dashboard', 'serve the API without the dashboard at /')
    .option(
      '--dev-token',
      'without TICKWORK_API_TOKEN: make an admin token for this run and print it, as a dashboard login link (for trying tickwork out; not for production)',
    )
    .addHelpText(
      'after',
      `
Settings from the environment: TICKWORK_API_TOKEN and TICKWORK_READ_TOKEN (the API's
bearer tokens, comma-separated; without an admin token every API call is 401, and the
dashboard at / cannot log in),
CRON_SECRET (for /trigger/<job>), REDIS_URL (locks on Redis), LOG_LEVEL. Logs are JSON
lines when stdout is not a terminal. The first SIGTERM or SIGINT stops gracefully
(exit 0); a second exits at once with 130.

Examples:
  $ tickwork start
  $ tickwork start --examples --dev-token    # prints http://localhost:8080/#token=…
  $ tickwork start --config examples/reporting/tickwork.config.ts   # a reference app (a clone of the repo)
  $ DATABASE_URL=postgres://app@db/app TICKWORK_API_TOKEN=$(openssl rand -hex 24) tickwork start --port 3000
  $ tickwork start --no-scheduler --no-http      # one more worker`,
    )
    .action(async (o: Flags) => {
      const s = settingsOf(o)
      const logger = createLogger(s.logLevel, 1)
      const signalled = firstSignal(logger)
      let tw: Tickwork
      let feed: (() => Promise<void>) | undefined
      let from = EXAMPLES
      if (o.examples) {
        tw = new Tickwork(tickworkOptions(s, logger))
        feed = defineExamples(tw)
      } else {
        const opened = await openTickwork(s, logger)
        if (!opened.config)
          throw new UsageError(
            `nothing to run: ${noConfig(', or --examples for the example jobs')}`,
          )
        tw = opened.tw
        from = `the jobs of ${relative(process.cwd(), opened.config.path)}`
      }
      logRuns(tw, logger)
      // a token made here is printed once, to the terminal only: never logged
      const devToken =
        o.devToken && o.http && !s.adminTokens?.length ? randomBytes(24).toString('base64url') : ''
      const admin = devToken ? [devToken] : (s.adminTokens ?? [])
      let http: { metrics: Metrics; server: Listening } | undefined
      try {
        await tw.start({ worker: o.worker, scheduler: o.scheduler })
        if (o.http) http = await listen(tw, s, logger, { admin, dashboard: o.dashboard })
      } catch (err) {
        await tw.stop({ grace: 0 }).catch(() => {})
        throw reachable(err, databaseName(s))
      }
      const roles = [
        ...(o.worker ? ['worker'] : []),
        ...(o.scheduler ? ['scheduler'] : []),
        'maintenance',
        ...(http ? ['http'] : []),
      ]
      const where = databaseName(s)
      logger.info(
        { roles, database: where, schema: s.schema, host: s.host, port: http?.server.port },
        `tickwork started (${roles.join(', ')}) with ${from}, on ${where}, schema ${s.schema}${http ? `; HTTP on ${s.host}:${http.server.port}` : ''}; Ctrl-C stops`,
      )
      if (http) {
        const local = ['0.0.0.0', '::'].includes(s.host)
          ? 'localhost'
          : s.host.includes(':')
            ? `[${s.host}]`
            : s.host
        const url = `http://${local}:${http.server.port}/`
        if (o.dashboard) logger.info({ url }, `dashboard at ${url}`)
        if (devToken)
          process.stderr.write(
            o.dashboard
              ? `\n  Dashboard (admin, this run only): ${url}#token=${devToken}\n\n`
              : `\n  API token (admin, this run only): ${devToken}\n\n`,
          )
      }
      if (o.devToken && s.adminTokens?.length)
        logger.info('--dev-token ignored: TICKWORK_API_TOKEN is set')
      if (http && admin.length === 0)
        logger.warn(
          'TICKWORK_API_TOKEN is not set: the API answers 401 to every call until it is (or start with --dev-token)',
        )
      const timer =
        feed &&
        setInterval(() => feed().catch((err) => logger.error({ err }, 'enqueue failed')), 5000)
      await feed?.()
      const signal = await signalled
      clearInterval(timer)
      logger.info(`${signal}: stopping; running handlers get ${ms(s.graceMs)}`)
      // at once: the grace bounds requests waiting on runs (?wait=1) as it bounds the
      // runs, and the database stays open until every request in flight is answered
      const closed = http?.server.close(s.graceMs + 1000)
      await tw.stop({ grace: s.graceMs, until: closed })
      http?.metrics.close()
      logger.info('stopped')
    })
}
