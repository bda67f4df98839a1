import { type Logger, pino } from 'pino'
import pretty from 'pino-pretty'
import type { Tickwork } from '../client/tickwork.js'

/**
 * The CLI's logger on stdout (fd 1) or stderr (fd 2): JSON lines when that is not a
 * terminal (a log collector reads them), pino-pretty's coloured lines on a terminal.
 * Both write synchronously, so nothing is lost when the process exits.
 */
export function createLogger(level: string, fd: 1 | 2): Logger {
  const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY
  if (!tty) return pino({ level }, pino.destination({ fd, sync: true }))
  return pino(
    { level },
    pretty({
      colorize: true,
      destination: fd,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    }),
  )
}

/**
 * One log line per run event of `tw`, each with job, runId, attempt and durationMs:
 * started at debug, completed at info, retrying at warn, failed at error; background
 * errors and missed ticks too.
 */
export function logRuns(tw: Tickwork, logger: Logger): void {
  tw.on('error', (err) => logger.error({ err }, 'background error'))
  tw.on('run:started', (e) =>
    logger.debug({ job: e.job, runId: e.id, attempt: e.attempt, source: e.source }, 'run started'),
  )
  tw.on('run:completed', (e) =>
    logger.info(
      { job: e.job, runId: e.id, attempt: e.attempt, durationMs: Math.round(e.durationMs) },
      'run completed',
    ),
  )
  tw.on('run:retrying', (e) =>
    logger.warn(
      {
        job: e.job,
        runId: e.id,
        attempt: e.attempt,
        durationMs: Math.round(e.durationMs),
        retryAt: e.retryAt,
        error: e.error.message,
      },
      'run will retry',
    ),
  )
  tw.on('run:failed', (e) =>
    logger.error(
      {
        job: e.job,
        runId: e.id,
        attempt: e.attempt,
        durationMs: Math.round(e.durationMs),
        error: e.error.message,
      },
      'run failed',
    ),
  )
  tw.on('schedule:missed', (e) =>
    logger.warn({ job: e.job, ticks: e.ticks.length, more: e.more }, 'schedule ticks missed'),
  )
}
