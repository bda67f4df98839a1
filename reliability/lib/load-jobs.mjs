// The jobs of the load run, defined alike in the HTTP server (reliability/load.config.mjs)
// and in the worker processes (lib/child.mjs with `jobs` pointing here). Each handler
// writes the ledger lines of lib/ledger.mjs: 'start' when entered, 'end' when it returns
// or throws, so the parent can count executions per run and see when a triggered run
// held the job.

/** Enqueued through `POST /api/jobs/load/runs`. */
export const LOAD_JOB = 'load'
/** Started through `POST /trigger/load-trigger`, under the job's trigger lock. */
export const TRIGGER_JOB = 'load-trigger'
/** How long a triggered run lasts: long enough that triggers meet a held lock. */
export const TRIGGER_MS = 150

// every run stays in the history for the checks (the default keeps 1,000 completed)
const KEEP = {
  completed: { age: '7d', count: 10_000_000 },
  failed: { age: '7d', count: 10_000_000 },
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/**
 * Defines LOAD_JOB and TRIGGER_JOB on `tw`. `ledger(line)` records one line;
 * `concurrency` is LOAD_JOB's per-process concurrency. `sabotage: 'double-run'` records
 * a second execution of every 500th run, to prove the run-once check fails.
 */
export function defineLoadJobs(tw, { ledger = () => {}, concurrency = 20, sabotage } = {}) {
  const wrap = (job, body) => async (ctx) => {
    const { run } = ctx
    const line = { e: 'start', id: run.id, job, a: ctx.attempt, t: Date.now() }
    ledger(line)
    if (sabotage === 'double-run' && Number(run.id) % 500 === 7) ledger({ ...line, t: Date.now() })
    try {
      const value = await body(ctx)
      ledger({ e: 'end', id: run.id, a: ctx.attempt, ok: true, t: Date.now() })
      return value
    } catch (err) {
      ledger({ e: 'end', id: run.id, a: ctx.attempt, ok: false, err: err?.name, t: Date.now() })
      throw err
    }
  }
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
