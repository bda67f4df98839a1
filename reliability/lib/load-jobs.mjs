// The jobs of the load run, defined alike in the HTTP server (reliability/load.config.mjs)
// and in the worker processes (lib/child.mjs with `jobs` pointing here). Each handler
// writes the ledger lines of lib/ledger.mjs: 'start' when entered, 'end' when it returns
// or throws, so the parent can count executions per run and see when a triggered run
// held the job.
import { KEEP_ALL as KEEP, ledgered, sleep } from './handler.mjs'

/** Enqueued through `POST /api/jobs/load/runs`. */
export const LOAD_JOB = 'load'
/** Started through `POST /trigger/load-trigger`, under the job's trigger lock. */
export const TRIGGER_JOB = 'load-trigger'
/** How long a triggered run lasts: long enough that triggers meet a held lock. */
export const TRIGGER_MS = 150

/**
 * Defines LOAD_JOB and TRIGGER_JOB on `tw`. `ledger(line)` records one line;
 * `concurrency` is LOAD_JOB's per-process concurrency. `sabotage: 'double-run'` records
 * a second execution of every 500th run, to prove the run-once check fails.
 */
export function defineLoadJobs(tw, { ledger = () => {}, concurrency = 20, sabotage } = {}) {
  const wrap = (job, body) =>
    ledgered(job, body, {
      ledger,
      started: (line, { run }) => {
        if (sabotage === 'double-run' && Number(run.id) % 500 === 7)
          ledger({ ...line, t: Date.now() })
      },
    })
  const load = tw.job(LOAD_JOB, {
    concurrency,
    retry: { attempts: 5, backoff: 'fixed', delay: '100ms' },
    keep: KEEP,
    run: wrap(LOAD_JOB, async ({ payload, signal }) => {
      await sleep(payload?.ms ?? 1, signal)
      return { i: payload?.i ?? null }
    }),
  })
  // concurrency 2: were the trigger lock to let two runs through, one worker could run both
  const trigger = tw.job(TRIGGER_JOB, {
    concurrency: 2,
    retry: { attempts: 3, backoff: 'fixed', delay: '100ms' },
    keep: KEEP,
    run: wrap(TRIGGER_JOB, ({ signal }) => sleep(TRIGGER_MS, signal)),
  })
  return { load, trigger }
}

/** lib/child.mjs calls a jobs module's `defineJobs(tw, options)`. */
export const defineJobs = defineLoadJobs
