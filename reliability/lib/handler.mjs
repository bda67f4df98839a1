// What the handlers of every reliability run (chaos, load, soak) share. The ledger lines
// are how the parent tells executions apart from outcomes, so all runs must write them
// the same way; what differs per run (extra fields, sabotage) comes in as hooks.

/** Rejects with the signal's reason on abort: a handler must stop when its run is taken away. */
export const sleep = (ms, signal) =>
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

// every run stays in the history for the checks (the default keeps 1,000 completed)
export const KEEP_ALL = {
  completed: { age: '7d', count: 10_000_000 },
  failed: { age: '7d', count: 10_000_000 },
}

/**
 * `body` as a handler of `job` that writes lib/ledger.mjs's 'start' line when entered and
 * its 'end' line when it returns or throws. `describe(line, ctx)` adds fields to the start
 * line; `silent(ctx)` true writes no line for that execution; `started(line, ctx)` runs
 * once the start line is written (both are sabotage's hooks, to prove a check fails).
 */
export function ledgered(job, body, { ledger, describe, silent, started }) {
  return async (ctx) => {
    const { run } = ctx
    const line = { e: 'start', id: run.id, job, a: ctx.attempt, t: Date.now() }
    describe?.(line, ctx)
    const write = silent?.(ctx) ? () => {} : ledger
    write(line)
    started?.(line, ctx)
    try {
      const value = await body(ctx)
      write({ e: 'end', id: run.id, a: ctx.attempt, ok: true, t: Date.now() })
      return value
    } catch (err) {
      write({ e: 'end', id: run.id, a: ctx.attempt, ok: false, err: err?.name, t: Date.now() })
      throw err
    }
  }
}
