// The queue benchmark: tickwork against graphile-worker, pg-boss and BullMQ on one
// Postgres, each library in its own schema and its own child process. Run with
// `npm run bench:queue` (builds first); `node bench/queue.mjs --help` for the options.
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  DATABASE_URL,
  dropSchema,
  fmtInt,
  fmtMs,
  fmtRatio,
  median,
  table,
  waitQuiet,
  watchForeignCpu,
  wholeNumber,
  withClient,
} from './util.mjs'

const HELP = `usage: node bench/queue.mjs [options]

  --runs N            repetitions; medians are reported (default 3)
  --jobs N            jobs per bulk enqueue and drain (default 20000)
  --latency N         lone jobs timed for latency (default 200, after --warmup more)
  --warmup N          untimed lone jobs first (default 20)
  --chunk N           split the bulk enqueue into calls of N jobs (default: one call)
  --no-history        skip the 1M-row history phase (also BENCH_HISTORY=0)
  --history-rows N    history rows to seed (default 1000000)
  --history-job NAME  job the seeded rows belong to (default 'archived-report', defined
                      with keep { completed: { age: '30d' } }, so retention leaves them)
  --only LIST         comma list of: tickwork,tickwork500,prefetch,graphile,pgboss,bullmq,embedded,history
  --json FILE         also write every run's raw numbers to FILE
  --timeout S         per-phase timeout in seconds (default 300)
  --quiet-wait S      before each library, wait up to S seconds for other processes
                      to leave the CPU idle (default 180; 0 to not wait)

Postgres: ${DATABASE_URL} (BENCH_DATABASE_URL to change; loopback only).`

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '20000' },
    latency: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    chunk: { type: 'string', default: '0' },
    history: { type: 'boolean' },
    'no-history': { type: 'boolean' },
    'history-rows': { type: 'string', default: '1000000' },
    'history-job': { type: 'string', default: 'archived-report' },
    only: { type: 'string' },
    json: { type: 'string' },
    timeout: { type: 'string', default: '300' },
    'quiet-wait': { type: 'string', default: '180' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (args.help) {
  console.log(HELP)
  process.exit(0)
}

const int = (name) => wholeNumber(args, name)
const runs = Math.max(1, int('runs'))
const jobs = Math.max(1, int('jobs'))
const withHistory = args['no-history']
  ? false
  : (args.history ?? !['0', 'false', 'no'].includes(process.env.BENCH_HISTORY ?? ''))

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
if (!existsSync(here('../dist/index.js')))
  throw new Error('dist/index.js is missing: run `npm run build` (npm run bench:queue does)')

// rows of the report, in order; `peer` names the adapter in bench/peers/
const HISTORY_JOB = args['history-job']
const ENTRIES = [
  { key: 'tickwork', peer: 'tickwork', label: 'tickwork', options: {} },
  // the peers fetch 500 at a time (graphile-worker's local queue, pg-boss's batchSize);
  // tickwork fetches the job's free slots plus its prefetch, so these rows match them
  {
    key: 'tickwork500',
    peer: 'tickwork',
    label: 'tickwork, concurrency 500',
    options: { concurrency: 500, schema: 'tickwork_bench_500' },
  },
  {
    key: 'prefetch',
    peer: 'tickwork',
    label: 'tickwork, concurrency 100, prefetch 400',
    options: { prefetch: 400, schema: 'tickwork_bench_prefetch' },
  },
  { key: 'graphile', peer: 'graphile', label: 'graphile-worker 0.18', options: {} },
  { key: 'pgboss', peer: 'pgboss', label: 'pg-boss 12', options: {} },
  { key: 'bullmq', peer: 'bullmq', label: 'BullMQ 6 (Postgres)', options: {} },
  {
    key: 'embedded',
    peer: 'tickwork',
    label: 'tickwork embedded',
    options: { embedded: true },
  },
  {
    key: 'history',
    peer: 'tickwork',
    label: `tickwork +${Number(args['history-rows']).toLocaleString('en-US')} history`,
    options: { schema: 'tickwork_bench_history', historyJob: args['history-job'] },
    historyRows: int('history-rows'),
  },
]
const only = args.only?.split(',').map((s) => s.trim())
const selected = ENTRIES.filter(
  (e) => (!only || only.includes(e.key)) && (e.key !== 'history' || withHistory),
)
const SCHEMAS = [
  'tickwork_bench',
  'tickwork_bench_500',
  'tickwork_bench_history',
  'graphile_bench',
  'pgboss_bench',
  'bullmq_bench',
]

let current
function runChild(entry) {
  const cfg = {
    peer: entry.peer,
    label: entry.label,
    options: entry.options,
    jobs,
    latency: int('latency'),
    warmup: int('warmup'),
    chunk: int('chunk'),
    historyRows: entry.historyRows,
    historyJob: HISTORY_JOB,
    timeoutMs: int('timeout') * 1000,
  }
  return new Promise((resolve) => {
    const child = fork(here('./child.mjs'), [JSON.stringify(cfg)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    current = child
    let result
    const killer = setTimeout(() => child.kill('SIGKILL'), cfg.timeoutMs * 4 + 120_000)
    child.on('message', (m) => {
      result = m
    })
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      current = undefined
      resolve(
        result ?? {
          label: entry.label,
          error: `child exited (${signal ?? `code ${code}`}) without a result`,
        },
      )
    })
  })
}

async function cleanup() {
  for (const s of SCHEMAS) await dropSchema(s).catch(() => {})
}

process.on('SIGINT', async () => {
  current?.kill('SIGKILL')
  await cleanup()
  process.exit(130)
})

// ---- run ----
const pgVersion = await withClient(async (c) => (await c.query('SHOW server_version')).rows[0])
console.log(
  `queue bench: ${runs} run(s), ${jobs.toLocaleString('en-US')} jobs, ` +
    `${int('latency')} lone jobs; Postgres ${pgVersion.server_version}; node ${process.version}`,
)
await cleanup()

const results = Object.fromEntries(selected.map((e) => [e.key, []]))
const core = selected.filter((e) => !['embedded', 'history'].includes(e.key))
const extra = selected.filter((e) => ['embedded', 'history'].includes(e.key))
for (let r = 0; r < runs; r++) {
  // rotate the order of the Postgres libraries so none always goes first
  const order = [
    ...core.slice(r % (core.length || 1)),
    ...core.slice(0, r % (core.length || 1)),
    ...extra,
  ]
  console.log(`run ${r + 1}/${runs}`)
  for (const entry of order) {
    // the same starting point for each: nothing dirty left for a checkpoint to flush, and
    // (as far as we can) no other process on the cores
    await withClient((c) => c.query('CHECKPOINT')).catch(() => {}) // needs a superuser
    const quiet = int('quiet-wait')
      ? await waitQuiet({
          maxWaitMs: int('quiet-wait') * 1000,
          onWait: (busy) =>
            console.log(
              `    (other processes use ${(busy * 100).toFixed(0)}% of the CPU: waiting)`,
            ),
        })
      : {}
    const { value: res, foreign } = await watchForeignCpu(
      () => runChild(entry),
      () => new Set([process.pid, current?.pid]),
    )
    res.busyBefore = quiet.busy
    res.foreignCpu = foreign
    if (foreign >= 0.1)
      console.log(
        `    ${entry.label}: other processes took ${(foreign * 100).toFixed(0)}% of the CPU meanwhile`,
      )
    results[entry.key].push(res)
    if (res.error) console.log(`    ${entry.label}: error: ${res.error.split('\n')[0]}`)
  }
}
await cleanup()

// ---- report ----
const m = {}
for (const e of selected) {
  const ok = results[e.key].filter((r) => !r.error)
  const pick = (f) => median(ok.map(f))
  m[e.key] = {
    ok: ok.length,
    n: results[e.key].length,
    enqueue: pick((r) => r.enqueueRate),
    drain: pick((r) => r.drainRate),
    drainMin: Math.min(...ok.map((r) => r.drainRate)),
    drainMax: Math.max(...ok.map((r) => r.drainRate)),
    settled: pick((r) => r.settledMs),
    start: pick((r) => r.startMs),
    p50: pick((r) => r.p50),
    p99: pick((r) => r.p99),
    rss: pick((r) => r.rssMB),
    seed: pick((r) => r.historySeedMs),
    duplicates: Math.max(0, ...ok.map((r) => r.duplicates ?? 0)),
    busyRuns: results[e.key].filter((r) => r.foreignCpu >= 0.1).length,
    settings: results[e.key][0]?.settings,
    errors: results[e.key].filter((r) => r.error).map((r) => r.error),
  }
}
const tw = m.tickwork
const ratio = (a, b) => (a !== undefined && b ? a / b : undefined)

console.log(
  `\nmedians of ${runs} run(s); ratios are tickwork's advantage (above 1× = tickwork better)\n`,
)
console.log(
  table(
    [
      { title: 'library', align: 'left' },
      { title: 'enqueue/s' },
      { title: 'drain/s' },
      { title: 'p50 ms' },
      { title: 'p99 ms' },
      { title: 'peak RSS MB' },
      { title: 'tw enqueue ÷' },
      { title: 'tw drain ÷' },
      { title: 'p50 ÷ tw p50' },
      { title: 'p99 ÷ tw p99' },
    ],
    selected.map((e) => {
      const x = m[e.key]
      const peer = !['tickwork', 'tickwork500', 'prefetch', 'embedded', 'history'].includes(e.key)
      return [
        e.label + (x.ok < x.n ? ` (${x.n - x.ok} failed)` : ''),
        fmtInt(x.enqueue),
        fmtInt(x.drain),
        fmtMs(x.p50),
        fmtMs(x.p99),
        fmtInt(x.rss),
        peer && tw ? fmtRatio(ratio(tw.enqueue, x.enqueue)) : '',
        peer && tw ? fmtRatio(ratio(tw.drain, x.drain)) : '',
        peer && tw ? fmtRatio(ratio(x.p50, tw.p50)) : '',
        peer && tw ? fmtRatio(ratio(x.p99, tw.p99)) : '',
      ]
    }),
  ),
)

console.log('\ndetail (medians)\n')
console.log(
  table(
    [
      { title: 'library', align: 'left' },
      { title: 'drain min–max/s' },
      { title: 'worker start ms' },
      { title: 'store empty after s' },
      { title: 'dup. runs' },
      { title: 'busy-machine runs' },
      { title: 'settings', align: 'left' },
    ],
    selected.map((e) => {
      const x = m[e.key]
      return [
        e.label,
        x.ok ? `${fmtInt(x.drainMin)}–${fmtInt(x.drainMax)}` : '—',
        fmtMs(x.start),
        x.settled === undefined ? '—' : (x.settled / 1000).toFixed(2),
        x.ok ? String(x.duplicates) : '—',
        String(x.busyRuns),
        (x.settings ?? '') +
          (e.historyRows
            ? `; +${fmtInt(e.historyRows)} history rows (seeded in ${((x.seed ?? 0) / 1000).toFixed(1)} s)`
            : ''),
      ]
    }),
  ),
)

// ---- targets ----
const targets = []
const verdict = (name, ok, detail) =>
  targets.push(`${ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`)
if (tw && m.graphile) {
  const r = ratio(tw.drain, m.graphile.drain)
  verdict('drain ≥ 1.25× graphile-worker', r === undefined ? undefined : r >= 1.25, fmtRatio(r))
}
for (const [key, how] of [
  ['tickwork500', 'concurrency 500'],
  ['prefetch', 'concurrency 100 and prefetch 400'],
]) {
  if (!m[key] || !m.graphile) continue
  const r = ratio(m[key].drain, m.graphile.drain)
  verdict(
    `drain ≥ 1.25× graphile-worker, both fetching 500 at a time (tickwork at ${how})`,
    r === undefined ? undefined : r >= 1.25,
    fmtRatio(r),
  )
}
if (tw) {
  verdict(
    'latency p50 ≤ 2 ms and p99 ≤ 10 ms',
    tw.p50 === undefined ? undefined : tw.p50 <= 2 && tw.p99 <= 10,
    `p50 ${fmtMs(tw.p50)} ms, p99 ${fmtMs(tw.p99)} ms`,
  )
  const peers = ['graphile', 'pgboss', 'bullmq'].filter((k) => m[k]?.enqueue !== undefined)
  if (peers.length) {
    const best = peers.reduce((a, b) => (m[a].enqueue >= m[b].enqueue ? a : b))
    verdict(
      'enqueue ≥ best peer',
      tw.enqueue === undefined ? undefined : tw.enqueue >= m[best].enqueue,
      `${fmtInt(tw.enqueue)}/s vs ${ENTRIES.find((e) => e.key === best).label} ${fmtInt(m[best].enqueue)}/s`,
    )
  }
}
if (m.embedded) {
  const e = m.embedded
  verdict(
    'embedded ≥ 3,000 runs/s (enqueue and drain)',
    e.drain === undefined ? undefined : e.drain >= 3000 && e.enqueue >= 3000,
    `enqueue ${fmtInt(e.enqueue)}/s, drain ${fmtInt(e.drain)}/s`,
  )
}
if (m.history && tw) {
  const r = ratio(m.history.drain, tw.drain)
  verdict(
    'drain with 1M history ≥ 90% of without',
    r === undefined ? undefined : r >= 0.9,
    `${r === undefined ? '—' : `${(r * 100).toFixed(1)}%`} ` +
      `(${fmtInt(m.history.drain)}/s vs ${fmtInt(tw.drain)}/s; history seeded for job '${HISTORY_JOB}')`,
  )
}
if (targets.length) console.log(`\ntargets\n\n${targets.join('\n')}`)

const failures = selected.filter((e) => m[e.key].errors.length)
for (const e of failures) {
  console.log(`\n${e.label} failed ${m[e.key].errors.length}×; first error:\n${m[e.key].errors[0]}`)
}

if (args.json) {
  await writeFile(args.json, JSON.stringify({ runs, jobs, results }, null, 2))
  console.log(`\nraw results written to ${args.json}`)
}
