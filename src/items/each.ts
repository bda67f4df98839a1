import type { Logger } from 'pino'
import { TickworkError, ValidationError } from '../errors.js'
import type { QueueStore } from '../queue/store.js'
import { type ItemOutcome, recordItems, succeededKeys } from './log.js'

/** How `ctx.items.each` walks the items. */
export interface EachOptions<T> {
  /** the item's key in the log; default `String(item)` */
  key?: (item: T, index: number) => string
  /** items handled at once; default 1 */
  concurrency?: number
  /** items per batch: one look-up, one write, one progress report and one log line; default 100 */
  batchSize?: number
  /** fail the run when 'any' item failed, or when more than this share (0..1) did; default never */
  failRun?: 'any' | number
}

/** What `ctx.items.each` did. */
export interface ItemCounts {
  total: number
  ok: number
  failed: number
  /** done successfully before, for the same job and window (or tick, or run) */
  skipped: number
}

/** The run fails because too many of its items did (`failRun`); retrying redoes only those. */
export class ItemsFailedError extends TickworkError {
  constructor(counts: ItemCounts) {
    super('ITEMS_FAILED', `${counts.failed} of ${counts.total} items failed`, counts)
  }
}

/** Per-item processing with an item log, as handlers get it in `ctx.items`. */
export interface Items {
  /**
   * Runs `fn` for each item and records each outcome (key, ok or failed, error) in the
   * item log; items already recorded as succeeded for the same job and window (or
   * tick, or run) are skipped, so a retried run redoes only what failed. Reports
   * progress and logs counts per batch. An item's failure fails the run only as
   * `failRun` says (then `ItemsFailedError`). Throws `ValidationError` for bad options
   * or a key that is not a non-empty string, and the signal's reason once aborted.
   */
  each<T>(
    items: Iterable<T>,
    options: EachOptions<T>,
    fn: (item: T, index: number) => unknown,
  ): Promise<ItemCounts>
}

/** What the item log of one run needs. */
export interface ItemsRun {
  store: QueueStore
  run: { job: string; id: string; attempt: number }
  scope: string
  signal: AbortSignal
  log: Logger
  progress(value: unknown): Promise<void>
}

function checkOptions(o: EachOptions<unknown>): Required<Omit<EachOptions<unknown>, 'failRun'>> {
  const bad = (path: string, message: string) =>
    new ValidationError('invalid items options', [{ path, message }])
  const int = (v: unknown, path: string, def: number) => {
    if (v === undefined) return def
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 10_000)
      throw bad(path, 'expected an integer from 1 to 10000')
    return v as number
  }
  if (o.key !== undefined && typeof o.key !== 'function') throw bad('key', 'expected a function')
  const f = o.failRun
  if (f !== undefined && f !== 'any' && !(typeof f === 'number' && f >= 0 && f <= 1))
    throw bad('failRun', "expected 'any' or a share from 0 to 1")
  return {
    key: o.key ?? ((item) => String(item)),
    concurrency: int(o.concurrency, 'concurrency', 1),
    batchSize: int(o.batchSize, 'batchSize', 100),
  }
}

/** Runs the batch; once `signal` aborts, starts no more items and returns what is done. */
async function runBatch<T>(
  batch: Array<{ item: T; index: number; key: string }>,
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T, index: number) => unknown,
): Promise<ItemOutcome[]> {
  const outcomes: ItemOutcome[] = []
  let next = 0
  const lane = async () => {
    while (next < batch.length && !signal.aborted) {
      const { item, index, key } = batch[next++] as (typeof batch)[number]
      try {
        await fn(item, index)
        outcomes.push({ key, ok: true, error: null })
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err))
        outcomes.push({ key, ok: false, error: { name: e.name, message: e.message } })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, lane))
  return outcomes
}

/** The `ctx.items` of one run. */
export function itemsOf(r: ItemsRun): Items {
  return {
    async each(items, options, fn) {
      const o = checkOptions(options as EachOptions<unknown>)
      const all = Array.from(items)
      const counts: ItemCounts = { total: all.length, ok: 0, failed: 0, skipped: 0 }
      for (let start = 0; start < all.length; start += o.batchSize) {
        const batch = all.slice(start, start + o.batchSize).map((item, i) => {
          const key = o.key(item, start + i)
          if (typeof key !== 'string' || key.length === 0 || key.length > 512)
            throw new ValidationError('invalid item key', [
              { path: `items[${start + i}]`, message: 'the key must be a string of 1-512 chars' },
            ])
          return { item, index: start + i, key }
        })
        const done = await succeededKeys(
          r.store,
          r.run.job,
          r.scope,
          batch.map((b) => b.key),
        )
        const todo = batch.filter((b) => !done.has(b.key))
        const outcomes = await runBatch(todo, o.concurrency, r.signal, fn)
        // the same key twice in a batch is one item: its last outcome stands
        // an aborted batch records what it did (an item cut short by the abort counts
        // as failed), so a retry redoes only the rest
        await recordItems(r.store, r.run, r.scope, [
          ...new Map(outcomes.map((x) => [x.key, x])).values(),
        ])
        r.signal.throwIfAborted()
        const ok = outcomes.filter((x) => x.ok).length
        counts.ok += ok
        counts.failed += outcomes.length - ok
        counts.skipped += batch.length - todo.length
        const end = start + batch.length
        r.log.info(
          {
            batch: [start, end],
            ok,
            failed: outcomes.length - ok,
            skipped: batch.length - todo.length,
          },
          `batch ${start}-${end}: ${ok} ok, ${outcomes.length - ok} failed`,
        )
        await r.progress({ done: end, total: all.length, ok: counts.ok, failed: counts.failed })
      }
      const f = (options as EachOptions<unknown>).failRun
      if (
        counts.failed > 0 &&
        (f === 'any' || (typeof f === 'number' && counts.failed / counts.total > f))
      )
        throw new ItemsFailedError(counts)
      return counts
    },
  }
}
