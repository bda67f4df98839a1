// The jobs of the chaos run, defined the same way in every process that runs or
// enqueues them (run options travel with each run from the enqueuing definition). Every
// handler writes its ledger: a 'start' line when it is entered and an 'end' line when it
// returns or throws; the child adds the engine's events (completion written, retry
// scheduled, failed for good), so the parent can tell executions apart from outcomes.
import { PermanentError } from '../../dist/index.js'
import { KEEP_ALL as KEEP, ledgered, sleep } from './handler.mjs'

export const JOB = 'chaos'
export const CRON_JOB = 'chaos-cron'
export const WINDOW_JOB = 'chaos-window'
export const CRON = '*/1 * * * * *'
export const WINDOW_MAX_SPAN_MS = 3000

/**
 * How a run of JOB ends, by design, from its payload `{ i, d, ms }`:
 *   'ok'    completes at its first attempt;
 *   'perm'  throws PermanentError: failed for good, whatever attempt it is;
 *   'flaky' throws a plain Error while its attempt is 1 or 2, then completes.
 * A SIGKILL costs an attempt too (the stalled sweep counts it), so attempts are many.
 */
export const DESIGNS = ['ok', 'perm', 'flaky']
export const FLAKY_MESSAGE = 'flaky by design'
export const PERM_MESSAGE = 'rejected by design'

/** Seconds (of the window's start) at which a window run's first attempt fails, by design. */
export const windowFailsFirst = (from) => Math.floor(from.getTime() / 1000) % 7 === 3

const RETRY = { attempts: 25, backoff: 'fixed', delay: '100ms' }
/**
 * Defines JOB, CRON_JOB and WINDOW_JOB on `tw`. `ledger(line)` records one line;
 * `windowStart` (ISO) is where the window job's watermark starts; `concurrency` is JOB's
 * per-process concurrency and `prefetch` the runs of it each worker holds beyond that. `sabotage` breaks a handler on purpose, to prove a check fails:
 * 'double-run' records a second execution of some runs, 'skip-ledger' records none for
 * some, 'wrong-design' completes the runs meant to fail. Returns the three jobs.
 */
export function defineJobs(
  tw,
  { ledger = () => {}, windowStart, concurrency = 20, prefetch = 0, sabotage } = {},
) {
  const wrap = (job, body) =>
    ledgered(job, body, {
      ledger,
      describe: (line, { run, window }) => {
        if (run.tick) line.tick = run.tick.getTime()
        if (window) {
          line.wf = window.from.getTime()
          line.wt = window.to.getTime()
        }
      },
      silent: ({ payload }) => sabotage === 'skip-ledger' && payload?.i % 500 === 3,
      started: (line, { payload }) => {
        if (sabotage === 'double-run' && payload?.i % 1000 === 7) ledger({ ...line, t: Date.now() })
      },
    })

  const chaos = tw.job(JOB, {
    concurrency,
    prefetch,
    retry: RETRY,
    keep: KEEP,
    run: wrap(JOB, async ({ payload, attempt, signal }) => {
      await sleep(payload.ms ?? 0, signal)
      if (sabotage === 'wrong-design') return { i: payload.i }
      if (payload.d === 'perm') throw new PermanentError(PERM_MESSAGE)
      if (payload.d === 'flaky' && attempt <= 2) throw new Error(FLAKY_MESSAGE)
      return { i: payload.i }
    }),
  })

  const cron = tw.job(CRON_JOB, {
    schedule: { cron: CRON, overlap: 'skip', catchUp: 'latest' },
    retry: RETRY,
    keep: KEEP,
    run: wrap(CRON_JOB, ({ signal }) => sleep(5, signal)),
  })

  const windowed = tw.job(WINDOW_JOB, {
    schedule: { cron: CRON, overlap: 'skip', catchUp: 'latest' },
    window: { lookback: 0, maxSpan: WINDOW_MAX_SPAN_MS, start: windowStart },
    retry: RETRY,
    keep: KEEP,
    run: wrap(WINDOW_JOB, async ({ window, attempt, signal }) => {
      await sleep(5, signal)
      if (attempt === 1 && windowFailsFirst(window.from)) throw new Error(FLAKY_MESSAGE)
      return { from: window.from.toISOString(), to: window.to.toISOString() }
    }),
  })
  return { chaos, cron, windowed }
}
