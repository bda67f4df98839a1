// The jobs of the soak run, defined alike in the enqueuing parent and in the worker and
// scheduler processes (lib/child.mjs with `jobs` pointing here). Retention is short, so
// the maintenance sweep must keep the history bounded while the run goes on; each
// handler writes lib/ledger.mjs's 'start' and 'end' lines.
import { ledgered, sleep } from './handler.mjs'

/** Enqueued by the parent at a steady rate. */
export const SOAK_JOB = 'soak'
/** A per-second cron job whose runs record ITEMS items each in the item log. */
export const CRON_JOB = 'soak-cron'
export const CRON = '* * * * * *'
export const ITEMS = 10
/** Retention of both jobs' completed (and failed) runs: the sweep's work. */
export const KEEP_AGE_MS = 60_000
export const KEEP_COUNT = 2000
// cancelled too: the item log is kept as long as the longest of the three ages (the
// cancelled default, 7 days, would keep every item of the run)
const KEEP = {
  completed: { age: KEEP_AGE_MS, count: KEEP_COUNT },
  failed: { age: KEEP_AGE_MS, count: KEEP_COUNT },
  cancelled: { age: KEEP_AGE_MS, count: KEEP_COUNT },
}

/**
 * Defines SOAK_JOB and CRON_JOB on `tw`; `ledger(line)` records one line, `concurrency`
 * is SOAK_JOB's per-process concurrency, `runMs` how long each of its runs takes.
 * `sabotage: 'leak'` makes every handler keep 10 KB forever, to prove the memory check
 * fails; 'double-run' records a second execution of every 1,000th run.
 */
export function defineJobs(tw, { ledger = () => {}, concurrency = 10, runMs = 2, sabotage } = {}) {
  const leaked = []
  const wrap = (job, body) =>
    ledgered(job, body, {
      ledger,
      started: (line, { run }) => {
        if (sabotage === 'double-run' && Number(run.id) % 1000 === 7) ledger(line)
        if (sabotage === 'leak') leaked.push(Buffer.alloc(10_240, 1).toString('latin1'))
      },
    })
  const soak = tw.job(SOAK_JOB, {
    concurrency,
    retry: { attempts: 5, backoff: 'fixed', delay: '100ms' },
    keep: KEEP,
    run: wrap(SOAK_JOB, async ({ payload, signal }) => {
      await sleep(runMs, signal)
      return { i: payload?.i ?? null }
    }),
  })
  const keys = Array.from({ length: ITEMS }, (_, k) => `item-${k}`)
  const cron = tw.job(CRON_JOB, {
    schedule: { cron: CRON, overlap: 'skip', catchUp: 'latest' },
    retry: { attempts: 5, backoff: 'fixed', delay: '100ms' },
    keep: KEEP,
    run: wrap(CRON_JOB, ({ items }) =>
      items.each(keys, { key: (k) => k, batchSize: ITEMS }, async () => {}),
    ),
  })
  return { soak, cron }
}
