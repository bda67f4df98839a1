// The soak run: worker processes and a scheduler on one Postgres for minutes on end; this
// process enqueues at a steady rate, a per-second cron job records items, and retention
// is short (completed runs kept 1 min, 2,000 at most; the sweep every few seconds), so
// the maintenance sweep works throughout. Memory of every process (and Postgres's) and
// the row counts of tickwork's tables are sampled; then the count: no run lost, the
// tables bounded, memory flat. `npm run soak` (builds first); `node reliability/soak.mjs
// --help` for the options. Exits 1 when a check fails.
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { cpuBusy, fmtInt, table, watchForeignCpu } from '../bench/util.mjs'
import { count, duration, readOptions, seconds, UsageError } from './lib/args.mjs'
import { postgresMemory, postmasterPid, slope, windowMinima } from './lib/memory.mjs'
import { Fleet } from './lib/processes.mjs'
import { Report } from './lib/report.mjs'
import { CRON_JOB, defineJobs, ITEMS, KEEP_AGE_MS, KEEP_COUNT, SOAK_JOB } from './lib/soak-jobs.mjs'
import { prepare, teardown } from './lib/start.mjs'

// The memory check's thresholds, per tickwork process, over the run's second half. At
// the default 200 runs/s a worker of two handles 6,000 runs a minute: 1 MB/min of heap
// floor is about 170 bytes kept per run, less than one run object, so a leak of anything
// per run shows; RSS is coarser (allocator pages, code, V8's own reserves), so 5 MB/min.
const HEAP_MB_PER_MIN = 1
const RSS_MB_PER_MIN = 5

const HELP = `usage: node reliability/soak.mjs [options]   (npm run soak -- [options] builds first)

  --duration D       how long runs are enqueued (default 10m); then the queue drains and
                     every process stops gracefully
  --rate R           runs enqueued per second, as 200/s or 200 (default 200/s), in a
                     batch every 100 ms
  --workers N        worker processes (default 2); one scheduler process besides
  --concurrency N    handlers of the soak job at once per worker (default 10)
  --maintenance D    maintenanceInterval of every process: the retention sweep's cadence
                     (default 5s)
  --sample-every D   memory and table sizes are sampled this often (default 5s)
  --database URL     a Postgres on this machine instead of the embedded one it starts;
                     its schema tickwork_soak is dropped first
  --sabotage NAME    break something on purpose, to see a check fail:
                       leak        every handler keeps 10 KB for good (the memory check)
                       keep-all    the workers' maintenance is off and the scheduler's
                                   too: no sweep (the history bound)
                       double-run  every 1,000th run records a second execution
                       lose-run    3 finished runs' completions are dropped from the count
  -h, --help

Jobs: ${SOAK_JOB} (enqueued, 2 ms each) and ${CRON_JOB} (cron every second, ${ITEMS} items per run
in the item log); both keep completed runs ${KEEP_AGE_MS / 1000} s, ${KEEP_COUNT} at most.

Checks: every enqueued run completed exactly once (counted by the ledger, since the sweep
deletes them), each cron run too; nothing live at the end; the queue kept up (live runs
in the last third under 5 s of enqueues); run_history and items bounded in the last
third by what the keep rules allow plus two sweep intervals of new rows; memory growth
per minute over the second half under ${HEAP_MB_PER_MIN} MB of heap floor and ${RSS_MB_PER_MIN} MB of RSS for each
tickwork process.`

const SABOTAGE = ['leak', 'keep-all', 'double-run', 'lose-run']
const SCHEMA = 'tickwork_soak'
const TABLES = ['runs', 'run_history', 'items', 'ticks']
const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
const log = (msg) => process.stderr.write(`  ${msg}\n`)
const n = (x) => Math.round(x).toLocaleString('en-US')
const MB = 2 ** 20

function options() {
  return readOptions(
    HELP,
    {
      duration: { type: 'string', default: '10m' },
      rate: { type: 'string', default: '200/s' },
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '10' },
      maintenance: { type: 'string', default: '5s' },
      'sample-every': { type: 'string', default: '5s' },
      database: { type: 'string' },
      sabotage: { type: 'string' },
    },
    (values) => {
      const rate = /^(\d+)(\/s)?$/.exec(values.rate)
      if (!rate || Number(rate[1]) < 1)
        throw new UsageError(`--rate: expected runs per second such as 200/s, got '${values.rate}'`)
      const o = {
        durationMs: duration(values.duration, 'duration'),
        rate: Number(rate[1]),
        workers: count(values.workers, 'workers', 1),
        concurrency: count(values.concurrency, 'concurrency', 1),
        maintenanceMs: duration(values.maintenance, 'maintenance'),
        sampleMs: duration(values['sample-every'], 'sample-every'),
        database: values.database,
        sabotage: values.sabotage,
      }
      if (o.durationMs < 30_000) throw new UsageError('--duration: at least 30s')
      if (o.sampleMs < 500) throw new UsageError('--sample-every: at least 500ms')
      if (o.sabotage && !SABOTAGE.includes(o.sabotage))
        throw new UsageError(`--sabotage: one of ${SABOTAGE.join(', ')}`)
      return o
    },
  )
}

/** Per run id (ids are a sequence from 1): flags in growable byte arrays, not objects. */
class Tally {
  enqueued = new Uint8Array(1 << 16)
  execs = new Uint8Array(1 << 16)
  done = new Uint8Array(1 << 16)
  cron = new Uint8Array(1 << 16)
  max = 0
  #fit(id) {
    if (id < this.enqueued.length) return
    let size = this.enqueued.length
    while (size <= id) size *= 2
    for (const k of ['enqueued', 'execs', 'done', 'cron']) {
      const a = new Uint8Array(size)
      a.set(this[k])
      this[k] = a
    }
  }
  bump(kind, id) {
    const i = Number(id)
    this.#fit(i)
    if (i > this.max) this.max = i
    if (this[kind][i] < 255) this[kind][i]++
  }
}

async function main() {
  const o = options()

  // ---- Postgres ----
  const { Tickwork, started, pg, runSql } = await prepare({
    built: here('../dist/index.js'),
    missing: 'dist/index.js is missing: run `npm run build` (npm run soak does)',
    database: o.database,
    schema: SCHEMA,
  })
  const pgPid = await postmasterPid(runSql)
  const busyBefore = await cpuBusy(2000)
  console.log(
    `soak: ${o.workers} workers + 1 scheduler, ${seconds(o.durationMs)} at ${o.rate} runs/s, sweep every ${seconds(o.maintenanceMs)}` +
      `${o.sabotage ? `, SABOTAGE ${o.sabotage}` : ''}; Postgres ${pg.version} (${pg.embedded ? 'embedded' : 'given by URL'}); ` +
      `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim()}), ${Math.round((busyBefore ?? 0) * 100)}% busy before the start`,
  )

  // the parent's Tickwork: migrates and enqueues; never started (no worker, no sweep)
  const tw = new Tickwork({ database: pg.url, schema: SCHEMA, logger: false, poolSize: 4 })
  tw.on('error', () => {})
  const jobs = defineJobs(tw)
  await tw.migrate()

  // ---- processes ----
  const tally = new Tally()
  const mem = new Map() // process name → [[t, rssMB, heapMB]]
  const record = (name, t, rss, heap) => {
    if (!mem.has(name)) mem.set(name, [])
    mem.get(name).push([t, rss / MB, heap / MB])
  }
  const doneAt = new Map() // second → completions of the soak job
  const problems = []
  let errors = 0
  const fleet = new Fleet({
    onLine: (msg, inc) => {
      switch (msg.e) {
        case 'mem':
          record(inc.name, msg.t, msg.rss, msg.heapUsed)
          break
        case 'start':
          tally.bump(msg.job === CRON_JOB ? 'cron' : 'execs', msg.id)
          break
        case 'done':
          tally.bump('done', msg.id)
          if (msg.job === SOAK_JOB) {
            const s = Math.floor(msg.t / 1000)
            doneAt.set(s, (doneAt.get(s) ?? 0) + 1)
          }
          break
        case 'error':
          errors++
          if (problems.length < 50) problems.push(`${inc.name}: ${msg.m}`)
          break
        case 'fatal':
          problems.push(`${inc.name}: ${msg.m.split('\n')[0]}`)
          break
      }
    },
    onText: (line, inc) => {
      if (problems.length < 50) problems.push(`${inc.name}: ${line}`)
    },
  })
  const spec = (role) => ({
    role,
    args: [
      here('./lib/child.mjs'),
      JSON.stringify({
        database: pg.url,
        schema: SCHEMA,
        role,
        maintenance: o.sabotage !== 'keep-all',
        maintenanceMs: o.maintenanceMs,
        leaseMs: 30_000,
        pollMs: 200,
        poolSize: 6,
        graceMs: 10_000,
        memEvery: o.sampleMs,
        jobs: here('./lib/soak-jobs.mjs'),
        jobOptions: { concurrency: o.concurrency, sabotage: o.sabotage },
      }),
    ],
  })
  const workers = Array.from({ length: o.workers }, (_, k) => `worker-${k + 1}`)
  const cleanup = teardown({ fleet, tw, pg })
  cleanupRef = cleanup
  await Promise.all([
    ...workers.map((w) => fleet.start(w, spec('worker'))),
    fleet.start('scheduler', spec('scheduler')),
  ])
  const t0 = Date.now()
  const warmUpMs = Math.min(60_000, o.durationMs / 10)
  log(`${o.workers + 1} processes ready in ${seconds(t0 - started)}; warm-up ${seconds(warmUpMs)}`)

  // ---- sampling ----
  const sizes = [] // { t, runs, run_history, items, ticks }
  const pgMem = [] // [t, pssMB, rssMB]
  let sampling = false
  const sample = async () => {
    if (sampling) return
    sampling = true
    try {
      const t = Date.now()
      const m = process.memoryUsage()
      record('enqueuer', t, m.rss, m.heapUsed)
      const p = await postgresMemory(pgPid)
      if (p) pgMem.push([t, p.pssMB, p.rssMB])
      const counts = (
        await runSql(
          `SELECT ${TABLES.map((x) => `(SELECT count(*) FROM ${SCHEMA}.${x})::int AS ${x}`).join(', ')}`,
        )
      ).rows[0]
      sizes.push({ t, ...counts })
    } catch (err) {
      problems.push(`sample: ${err.message}`)
    } finally {
      sampling = false
    }
  }
  const sampler = setInterval(sample, o.sampleMs)
  await sample()

  // ---- the steady enqueue ----
  const perBatch = o.rate / 10
  let enqueued = 0
  let carry = 0
  let lateBatches = 0
  const enqueueErrors = []
  let lastMinute = -1
  const ours = () => new Set([process.pid, ...fleet.incarnations.map((i) => i.pid)])
  const { foreign } = await watchForeignCpu(async () => {
    for (let b = 0; ; b++) {
      const at = t0 + b * 100
      if (at >= t0 + o.durationMs) break
      if (Date.now() - at > 100) lateBatches++
      await sleep(at - Date.now())
      carry += perBatch
      const size = Math.floor(carry)
      carry -= size
      if (size === 0) continue
      const items = Array.from({ length: size }, (_, k) => ({ payload: { i: enqueued + k } }))
      try {
        for (const r of await jobs.soak.enqueueMany(items)) tally.bump('enqueued', r.id)
        enqueued += size
      } catch (err) {
        enqueueErrors.push(String(err?.message ?? err))
      }
      const minute = Math.floor((Date.now() - t0) / 60_000)
      if (minute !== lastMinute) {
        lastMinute = minute
        const s = sizes.at(-1)
        if (minute > 0)
          log(
            `t+${minute}m: ${n(enqueued)} enqueued; rows ${TABLES.map((x) => `${x} ${n(s?.[x] ?? 0)}`).join(', ')}`,
          )
      }
    }
  }, ours)
  const enqueueEnd = Date.now()

  // ---- drain, then a graceful stop ----
  const live = async (job) =>
    Number(
      (await runSql(`SELECT count(*)::int AS n FROM ${SCHEMA}.runs WHERE job = $1`, [job])).rows[0]
        .n,
    )
  let left = await live(SOAK_JOB)
  while (left > 0 && Date.now() - enqueueEnd < 60_000) {
    await sleep(200)
    left = await live(SOAK_JOB)
  }
  const drained = Date.now()
  await fleet.stop('scheduler', { ms: 30_000 })
  let cronLeft = await live(CRON_JOB)
  while (cronLeft > 0 && Date.now() - drained < 30_000) {
    await sleep(200)
    cronLeft = await live(CRON_JOB)
  }
  clearInterval(sampler)
  await sample()
  await Promise.all(workers.map((w) => fleet.stop(w, { ms: 30_000 })))
  const end = Date.now()

  // ---- checks ----
  const report = new Report()
  if (o.sabotage === 'lose-run') {
    let dropped = 0
    for (let id = 1; id <= tally.max && dropped < 3; id++)
      if (tally.enqueued[id] && tally.done[id]) {
        tally.done[id] = 0
        dropped++
      }
  }
  checkRuns(report, { tally, enqueued, left, cronLeft, enqueueErrors })
  const third = t0 + (o.durationMs * 2) / 3
  const last = sizes.filter((s) => s.t >= third && s.t <= enqueueEnd)
  const maxOf = (k) => Math.max(0, ...last.map((s) => s[k]))
  // what the keep rules allow: per job, the newer of 'count' and 'age' worth of runs,
  // plus what arrives in two sweep intervals (a sweep every interval, by one process)
  const slackS = (2 * o.maintenanceMs) / 1000
  const keepS = KEEP_AGE_MS / 1000
  const historyBound =
    Math.min(KEEP_COUNT, o.rate * keepS) + o.rate * slackS + Math.min(KEEP_COUNT, keepS) + slackS
  const itemsBound = ITEMS * (keepS + slackS)
  report.check(
    'run_history bounded (last third)',
    `≤ ${n(historyBound)} rows (keep ${KEEP_COUNT} / ${keepS} s per job + ${slackS} s of runs)`,
    `max ${n(maxOf('run_history'))}`,
    last.length > 0 && maxOf('run_history') <= historyBound,
  )
  report.check(
    'items bounded (last third)',
    `≤ ${n(itemsBound)} rows (${ITEMS} per tick, kept ${keepS} s + ${slackS} s)`,
    `max ${n(maxOf('items'))}`,
    last.length > 0 && maxOf('items') <= itemsBound,
  )
  const liveBound = o.rate * 5
  report.check(
    'the queue kept up (last third)',
    `live runs ≤ ${n(liveBound)} (5 s of enqueues)`,
    `max ${n(maxOf('runs'))}`,
    last.length > 0 && maxOf('runs') <= liveBound,
  )
  const memRows = checkMemory(report, { mem, pgMem, t0, warmUpMs, enqueueEnd })

  const unclean = fleet.incarnations.filter(
    (i) => i.stopRequestedAt === null || i.code !== 0 || i.escalated,
  )
  report.check(
    'every process up to the end, then stopped gracefully',
    'exit 0 each, on SIGTERM',
    unclean.length ? `${unclean.length} did not` : 'all exit 0',
    unclean.length === 0,
    [...unclean.map((i) => `${i.name} pid ${i.pid}: ${i.signal ?? i.code}`), ...problems],
  )

  // ---- figures ----
  console.log(
    `\nMemory (MB; start = after the ${seconds(warmUpMs)} warm-up; growth: least-squares slope over the second half, heap of its 30 s minima)`,
  )
  console.log(memTable(memRows))
  console.log('\nTable sizes (rows), every minute')
  console.log(sizesTable(sizes, t0))
  const minutes = throughputByMinute(doneAt, t0, enqueueEnd)
  console.log(
    `\nCompletions of ${SOAK_JOB} per minute: ${minutes.map((m) => n(m)).join(', ')} (target ${n(o.rate * 60)})`,
  )
  const full = minutes.slice(1, -1).length ? minutes.slice(1, -1) : minutes
  const lo = Math.min(...full)
  const hi = Math.max(...full)
  report.figure(
    'machine',
    `${availableParallelism()} CPUs, node ${process.version}, Postgres ${pg.version}${pg.embedded ? ' (embedded)' : ''}`,
  )
  report.figure(
    'enqueued',
    `${n(enqueued)} runs in ${seconds(enqueueEnd - t0)} (${n(enqueued / ((enqueueEnd - t0) / 1000))}/s; ${lateBatches} batches late by > 100 ms, ${enqueueErrors.length} refused)`,
  )
  report.figure(
    'throughput',
    `${n(lo)}–${n(hi)} completions per full minute (${n(lo / 60)}–${n(hi / 60)}/s)`,
  )
  report.figure('cron runs', `${n(countOf(tally.cron))} executed (one per second)`)
  report.figure('background errors', `${errors}`)
  report.figure(
    'other processes',
    `${Math.round(foreign * 100)}% of the CPUs while enqueuing (not this run's, not Postgres)`,
  )
  report.figure(
    'timeline',
    `enqueue ${seconds(enqueueEnd - t0)}, drained ${seconds(drained - enqueueEnd)} later, stopped ${seconds(end - drained)} after; total ${seconds(end - started)}`,
  )
  if (o.sabotage) report.figure('sabotage', o.sabotage)
  const ok = report.print()
  await cleanup()
  process.exit(ok ? 0 : 1)
}

let cleanupRef = async () => {}

const countOf = (a) => a.reduce((s, x) => s + (x ? 1 : 0), 0)

/** Every enqueued run completed once, each cron run too; nothing left live. */
function checkRuns(report, { tally, enqueued, left, cronLeft, enqueueErrors }) {
  const lost = []
  const doubled = []
  let enq = 0
  let cronRuns = 0
  let cronBad = 0
  for (let id = 1; id <= tally.max; id++) {
    if (tally.enqueued[id]) {
      enq++
      if (!tally.done[id] || !tally.execs[id])
        lost.push(`run ${id}: ${tally.execs[id]} executions, ${tally.done[id]} completions`)
      else if (tally.done[id] > 1 || tally.execs[id] > 1)
        doubled.push(`run ${id}: ${tally.execs[id]} executions, ${tally.done[id]} completions`)
    } else if (tally.cron[id]) {
      cronRuns++
      if (tally.cron[id] !== 1 || tally.done[id] !== 1) cronBad++
    } else if (tally.execs[id]) lost.push(`run ${id}: executed, but was never enqueued`)
  }
  report.check(
    'no run lost',
    `${n(enqueued)} enqueued, each completed; 0 live`,
    `${n(enq - lost.length)} of ${n(enq)} completed; ${left} live`,
    lost.length === 0 && enq === enqueued && left === 0 && enqueueErrors.length === 0,
    [...lost, ...enqueueErrors.slice(0, 5)],
  )
  report.check(
    'no run doubled',
    'each executed and completed once',
    `${doubled.length} more than once`,
    doubled.length === 0,
    doubled,
  )
  report.check(
    'each cron run executed and completed once',
    `${n(cronRuns)} once; 0 live`,
    `${n(cronRuns - cronBad)} once, ${cronBad} not; ${cronLeft} live`,
    cronBad === 0 && cronLeft === 0 && cronRuns > 0,
  )
}

/** Start, peak, end and growth per minute of each process; the check on tickwork's. */
function checkMemory(report, { mem, pgMem, t0, warmUpMs, enqueueEnd }) {
  const rows = []
  const half = t0 + (enqueueEnd - t0) / 2
  const perMin = (pts) => {
    const s = slope(pts.map(([t, y]) => [t / 60_000, y]))
    return s
  }
  const over = []
  for (const [name, samples] of [...mem].sort()) {
    const run = samples.filter(([t]) => t >= t0 && t <= enqueueEnd)
    const warm = run.filter(([t]) => t >= t0 + warmUpMs)
    const second = run.filter(([t]) => t >= half)
    if (!warm.length) continue
    const rssGrowth = perMin(second.map(([t, r]) => [t, r]))
    // 30 s windows; shorter in a short run, so the half still has six of them
    const windowMs = Math.min(30_000, (enqueueEnd - half) / 6)
    const heapGrowth = perMin(
      windowMinima(
        second.map(([t, , h]) => [t, h]),
        windowMs,
      ),
    )
    rows.push({
      name,
      rss: [warm[0][1], Math.max(...warm.map((x) => x[1])), warm.at(-1)[1], rssGrowth],
      heap: [warm[0][2], Math.max(...warm.map((x) => x[2])), warm.at(-1)[2], heapGrowth],
    })
    if (!(rssGrowth <= RSS_MB_PER_MIN) || !(heapGrowth <= HEAP_MB_PER_MIN))
      over.push(
        `${name}: RSS ${fmt(rssGrowth)} MB/min, heap floor ${fmt(heapGrowth)} MB/min (${second.length} samples)`,
      )
  }
  const warm = pgMem.filter(([t]) => t >= t0 + warmUpMs && t <= enqueueEnd)
  if (warm.length)
    rows.push({
      name: 'postgres (all processes, PSS)',
      rss: [
        warm[0][1],
        Math.max(...warm.map((x) => x[1])),
        warm.at(-1)[1],
        perMin(warm.filter(([t]) => t >= half).map(([t, p]) => [t, p])),
      ],
      heap: null,
    })
  const tickwork = rows.filter((r) => r.heap)
  const worst = (k) => Math.max(...tickwork.map((r) => r[k][3] ?? Number.POSITIVE_INFINITY))
  report.check(
    'memory flat in every tickwork process',
    `growth ≤ ${RSS_MB_PER_MIN} MB/min RSS and ≤ ${HEAP_MB_PER_MIN} MB/min heap floor (second half)`,
    `worst RSS ${fmt(worst('rss'))}, heap ${fmt(worst('heap'))} MB/min over ${tickwork.length} processes`,
    over.length === 0 && tickwork.length > 0,
    over,
  )
  return rows
}

const fmt = (x) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2))
const fmt0 = (x) => (x === undefined ? '—' : x.toFixed(0))

function memTable(rows) {
  return table(
    [
      { title: 'process', align: 'left' },
      { title: 'RSS start', align: 'right' },
      { title: 'peak', align: 'right' },
      { title: 'end', align: 'right' },
      { title: 'MB/min', align: 'right' },
      { title: 'heap start', align: 'right' },
      { title: 'peak', align: 'right' },
      { title: 'end', align: 'right' },
      { title: 'MB/min', align: 'right' },
    ],
    rows.map((r) => [
      r.name,
      fmt0(r.rss[0]),
      fmt0(r.rss[1]),
      fmt0(r.rss[2]),
      fmt(r.rss[3]),
      ...(r.heap
        ? [fmt0(r.heap[0]), fmt0(r.heap[1]), fmt0(r.heap[2]), fmt(r.heap[3])]
        : ['—', '—', '—', '—']),
    ]),
  )
}

function sizesTable(sizes, t0) {
  const picked = []
  let next = 0
  for (const s of sizes) {
    if (s.t - t0 >= next || s === sizes.at(-1)) {
      picked.push(s)
      next = Math.floor((s.t - t0) / 60_000 + 1) * 60_000
    }
  }
  return table(
    [{ title: 't', align: 'right' }, ...TABLES.map((x) => ({ title: x, align: 'right' }))],
    picked.map((s) => [seconds(s.t - t0), ...TABLES.map((x) => fmtInt(s[x]))]),
  )
}

function throughputByMinute(doneAt, t0, enqueueEnd) {
  const minutes = []
  for (let m = 0; t0 + m * 60_000 < enqueueEnd; m++) {
    let c = 0
    const from = Math.floor((t0 + m * 60_000) / 1000)
    const to = Math.floor(Math.min(enqueueEnd, t0 + (m + 1) * 60_000) / 1000)
    for (let s = from; s < to; s++) c += doneAt.get(s) ?? 0
    minutes.push(c)
  }
  return minutes
}

main().catch(async (err) => {
  console.error(err?.stack ?? err)
  await cleanupRef().catch(() => {})
  process.exit(1)
})
