// One library's phases in a process of its own (started by bench/queue.mjs), so its peak
// memory is its own: setup, [history seed], bulk enqueue, drain, lone-job latency, stop.
// The result goes back to the parent over IPC.
import { percentile, sleep, waitFor } from './util.mjs'

const PEERS = {
  tickwork: () => import('./peers/tickwork.mjs'),
  graphile: () => import('./peers/graphile.mjs'),
  pgboss: () => import('./peers/pgboss.mjs'),
  bullmq: () => import('./peers/bullmq.mjs'),
}

const cfg = JSON.parse(process.argv[2])
const log = (msg) => process.stderr.write(`    ${cfg.label}: ${msg}\n`)

/** Rejects if `promise` takes longer than `ms`. */
function within(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function main() {
  const { createAdapter } = await PEERS[cfg.peer]()
  const adapter = createAdapter(cfg.options ?? {})
  const result = { label: cfg.label, name: adapter.name, settings: adapter.settings }
  const jobs = cfg.jobs

  // what every job's handler does: note that it ran, nothing else
  const seen = new Uint8Array(jobs)
  let done = 0
  let duplicates = 0
  let drained
  const drainedAt = new Promise((resolve) => {
    drained = resolve
  })
  const starts = new Map()
  const handler = (payload) => {
    const now = performance.now()
    if (payload?.l !== undefined) {
      starts.get(payload.l)?.(now)
      return
    }
    if (seen[payload.i]++) duplicates++
    else if (++done === jobs) drained(now)
  }

  try {
    await adapter.setup()

    if (cfg.historyRows) {
      const t = performance.now()
      await adapter.seedHistory(cfg.historyRows, cfg.historyJob)
      result.historySeedMs = performance.now() - t
      log(
        `seeded ${cfg.historyRows.toLocaleString('en-US')} history rows in ${(result.historySeedMs / 1000).toFixed(1)} s`,
      )
    }

    // 1. bulk enqueue
    const payloads = Array.from({ length: jobs }, (_, i) => ({ i }))
    const chunk = cfg.chunk > 0 ? cfg.chunk : jobs
    let t0 = performance.now()
    for (let at = 0; at < jobs; at += chunk)
      await adapter.enqueueBulk(payloads.slice(at, at + chunk))
    result.enqueueMs = performance.now() - t0
    result.enqueueRate = (jobs / result.enqueueMs) * 1000

    // 2. drain: start the worker on the full queue, until every handler has run
    t0 = performance.now()
    await adapter.startWorker(handler)
    result.startMs = performance.now() - t0
    const end = await within(drainedAt, cfg.timeoutMs, `drain (${done}/${jobs} done)`)
    result.drainMs = end - t0
    result.drainRate = (jobs / result.drainMs) * 1000
    // and until the store agrees nothing is left (completions written)
    await waitFor(async () => (await adapter.pending()) === 0, {
      timeoutMs: cfg.timeoutMs,
      what: 'the store to show the queue empty',
    })
    result.settledMs = performance.now() - t0
    result.duplicates = duplicates
    log(
      `enqueue ${Math.round(result.enqueueRate)}/s, drain ${Math.round(result.drainRate)}/s ` +
        `(settled ${(result.settledMs / 1000).toFixed(2)} s)`,
    )

    // 3. latency: lone jobs on the now idle worker, each after the previous one started
    const samples = []
    await sleep(250)
    for (let k = -cfg.warmup; k < cfg.latency; k++) {
      await sleep(5 + Math.random() * 10)
      const started = new Promise((resolve) => starts.set(k, resolve))
      const t = performance.now()
      await adapter.enqueueOne({ l: k })
      const at = await within(started, 10_000, `lone job ${k} to start`)
      starts.delete(k)
      if (k >= 0) samples.push(at - t)
    }
    if (samples.length) {
      result.p50 = percentile(samples, 50)
      result.p99 = percentile(samples, 99)
      result.latencyMax = Math.max(...samples)
      log(`latency p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`)
    }
  } catch (err) {
    result.error = err?.stack ?? String(err)
    log(`FAILED: ${err?.message ?? err}`)
  } finally {
    try {
      await within(adapter.stop(), 30_000, 'stop')
    } catch (err) {
      result.stopError = String(err?.message ?? err)
    }
  }
  // maxRSS is in kilobytes
  result.rssMB = process.resourceUsage().maxRSS / 1024
  process.send(result, () => process.exit(0))
}

main()
