// The load run: a tickwork HTTP server (`tickwork start`, API + /trigger, no worker) and
// worker processes on one Postgres, and from this process a bounded HTTP load with
// autocannon: enqueues with a unique idempotency key each, reads of the run list and of
// a job, external-cron triggers, /metrics scrapes. Then the workers drain, and the count:
// every 201 made one run, no run lost or doubled, triggered runs never overlapped, no
// 5xx. `npm run load` (builds first); `node reliability/load.mjs --help` for the options.
// Exits 1 when a check fails.
import { randomBytes } from 'node:crypto'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { fmtInt, fmtMs, table, watchForeignCpu } from '../bench/util.mjs'
import { count, duration, readOptions, seconds, UsageError } from './lib/args.mjs'
import { describeStatuses, serverErrors, stream } from './lib/http-load.mjs'
import { Ledger } from './lib/ledger.mjs'
import { LOAD_JOB, TRIGGER_JOB, TRIGGER_MS } from './lib/load-jobs.mjs'
import { freePort } from './lib/postgres.mjs'
import { Fleet } from './lib/processes.mjs'
import { Report } from './lib/report.mjs'
import { prepare, teardown } from './lib/start.mjs'

const HELP = `usage: node reliability/load.mjs [options]   (npm run load -- [options] builds first)

  --duration D       how long the load lasts (default 20s); then the workers drain the
                     queue (up to --drain-timeout) and every process stops gracefully
  --connections N    connections of each request stream (default 8): enqueue, list runs,
                     get a job, trigger; /metrics gets one
  --workers N        worker processes (default 2)
  --concurrency N    handlers of the load job at once per worker (default 20)
  --drain-timeout D  how long the workers get to drain after the load (default 60s)
  --database URL     a Postgres on this machine instead of the embedded one it starts;
                     its schema tickwork_load is dropped first
  --sabotage NAME    break something on purpose, to see a check fail:
                       dup-key     every 200th enqueue reuses the previous request's key
                       lose-run    3 finished runs are deleted before the count
                       double-run  every 500th run's handler records a second execution
                       clear-lock  the trigger lock is deleted (DELETE /api/locks) every 50 ms
                       db-error    the locks table is renamed away for 1 s mid-load: 500s
                       pg-restart  the embedded Postgres restarts (fast shutdown) mid-load
  -h, --help

The streams: POST /api/jobs/${LOAD_JOB}/runs with { payload, options: { key } } (a unique
key per request); GET /api/runs?job=${LOAD_JOB}&limit=50&summary=true and GET
/api/jobs/${LOAD_JOB} in turn (a read token); POST /trigger/${TRIGGER_JOB} with the
CRON_SECRET (its runs last ${TRIGGER_MS} ms); GET /metrics.

Checks: every 201 created one run, and every run of the load job answers a request; each
run completed, executed exactly once; the triggered runs never overlapped, and every 202
made one; each stream answered only its expected statuses; no 5xx.`

const SABOTAGE = ['dup-key', 'lose-run', 'double-run', 'clear-lock', 'db-error', 'pg-restart']
const SCHEMA = 'tickwork_load'
const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
const log = (msg) => process.stderr.write(`  ${msg}\n`)
const n = (x) => x.toLocaleString('en-US')

function options() {
  return readOptions(
    HELP,
    {
      duration: { type: 'string', default: '20s' },
      connections: { type: 'string', default: '8' },
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '20' },
      'drain-timeout': { type: 'string', default: '60s' },
      database: { type: 'string' },
      sabotage: { type: 'string' },
    },
    (values) => {
      const o = {
        durationMs: duration(values.duration, 'duration'),
        connections: count(values.connections, 'connections', 1),
        workers: count(values.workers, 'workers', 1),
        concurrency: count(values.concurrency, 'concurrency', 1),
        drainMs: duration(values['drain-timeout'], 'drain-timeout'),
        database: values.database,
        sabotage: values.sabotage,
      }
      if (o.durationMs < 2000) throw new UsageError('--duration: at least 2s')
      if (o.sabotage && !SABOTAGE.includes(o.sabotage))
        throw new UsageError(`--sabotage: one of ${SABOTAGE.join(', ')}`)
      if (o.sabotage === 'pg-restart' && o.database)
        throw new UsageError('--sabotage pg-restart: only with the embedded Postgres')
      return o
    },
  )
}

async function main() {
  const o = options()

  // ---- Postgres, schema ----
  const { Tickwork, started, pg, runSql } = await prepare({
    built: here('../dist/cli/main.js'),
    missing: 'dist/ is missing: run `npm run build` (npm run load does)',
    database: o.database,
    schema: SCHEMA,
  })
  {
    const tw = new Tickwork({ database: pg.url, schema: SCHEMA, logger: false })
    await tw.migrate()
    await tw.stop()
  }
  console.log(
    `load: ${o.workers} workers + 1 HTTP server, ${seconds(o.durationMs)}, ${o.connections} connections per stream` +
      `${o.sabotage ? `, SABOTAGE ${o.sabotage}` : ''}; Postgres ${pg.version} (${pg.embedded ? 'embedded' : 'given by URL'}); ` +
      `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim()})`,
  )

  // ---- processes: the server, the workers ----
  const adminToken = randomBytes(24).toString('base64url')
  const readToken = randomBytes(24).toString('base64url')
  const cronSecret = randomBytes(24).toString('base64url')
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const ledger = new Ledger()
  const problems = [] // stderr lines, fatal errors, the server's 'request failed' logs
  const serverMem = []
  const fleet = new Fleet({
    onLine: (msg, inc) => {
      if (msg.e === 'mem') {
        if (inc.role === 'server') serverMem.push(msg.rss)
        return
      }
      ledger.add(msg, inc)
      if (msg.e === 'fatal') problems.push(`${inc.name}: ${msg.m.split('\n')[0]}`)
      // pino: level 50 error, 40 warn
      if (msg.level >= 40) problems.push(`${inc.name}: ${msg.msg} ${msg.err?.message ?? ''}`)
    },
    onText: (line, inc) => problems.push(`${inc.name}: ${line}`),
  })
  const cleanup = teardown({ fleet, pg })
  cleanupRef = cleanup
  const serverSpec = {
    role: 'server',
    args: [
      here('../dist/cli/main.js'),
      'start',
      '--config',
      here('./load.config.mjs'),
      '--no-worker',
      '--no-scheduler',
      '--database',
      pg.url,
      '--schema',
      SCHEMA,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    env: {
      TICKWORK_API_TOKEN: adminToken,
      TICKWORK_READ_TOKEN: readToken,
      CRON_SECRET: cronSecret,
      PORT: String(port),
      LOAD_MEM_EVERY: '1000',
      LOG_LEVEL: 'info',
    },
  }
  const workerSpec = {
    role: 'worker',
    args: [
      here('./lib/child.mjs'),
      JSON.stringify({
        database: pg.url,
        schema: SCHEMA,
        role: 'worker',
        maintenance: true,
        leaseMs: 30_000,
        pollMs: 200,
        poolSize: 6,
        graceMs: 10_000,
        jobs: here('./lib/load-jobs.mjs'),
        jobOptions: { concurrency: o.concurrency, sabotage: o.sabotage },
      }),
    ],
  }
  const workers = Array.from({ length: o.workers }, (_, k) => `worker-${k + 1}`)
  await Promise.all([
    fleet.start('server', serverSpec),
    ...workers.map((w) => fleet.start(w, workerSpec)),
  ])
  log(`server on ${base} and ${o.workers} workers ready in ${seconds(Date.now() - started)}`)

  // ---- the load ----
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }
  const reader = { authorization: `Bearer ${readToken}` }
  const sent = new Map() // key → request number
  const enqueued = [] // { key, id, created } of each 201
  const enqueueOther = [] // { key, status, body } of every other answer
  let requestNo = 0
  let lastKey
  const enqueue = {
    method: 'POST',
    path: `/api/jobs/${LOAD_JOB}/runs`,
    headers: admin,
    setupRequest: (req, context) => {
      requestNo++
      // (autocannon resets `context` before each request: with one request in flight per
      // connection, the response gets the context its request was set up with)
      const key =
        o.sabotage === 'dup-key' && requestNo % 200 === 0 && lastKey ? lastKey : `load-${requestNo}`
      lastKey = key
      context.key = key
      sent.set(key, requestNo)
      return { ...req, body: JSON.stringify({ payload: { i: requestNo }, options: { key } }) }
    },
    onResponse: (status, body, context) => {
      if (status === 201) {
        const r = JSON.parse(body)
        enqueued.push({ key: context.key, id: r.id, created: r.created })
      } else enqueueOther.push({ key: context.key, status, body: String(body).slice(0, 200) })
    },
  }
  let readNo = 0
  const reads = {
    method: 'GET',
    headers: reader,
    setupRequest: (req) => ({
      ...req,
      path:
        readNo++ % 2 === 0
          ? `/api/runs?job=${LOAD_JOB}&limit=50&summary=true`
          : `/api/jobs/${LOAD_JOB}`,
    }),
  }
  const triggered = [] // run ids of each 202
  const triggerOther = []
  const trigger = {
    method: 'POST',
    path: `/trigger/${TRIGGER_JOB}`,
    headers: { 'x-cron-secret': cronSecret },
    onResponse: (status, body) => {
      if (status === 202) triggered.push(JSON.parse(body).id)
      else if (status !== 429) triggerOther.push({ status, body: String(body).slice(0, 200) })
    },
  }
  const metrics = { method: 'GET', path: '/metrics' }

  const loadStart = Date.now()
  const sabotaging = sabotageDuring(o, { base, admin, pg, loadStart, runSql })
  const ours = () => new Set([process.pid, ...fleet.incarnations.map((x) => x.pid)])
  const { value: streams, foreign } = await watchForeignCpu(
    () =>
      Promise.all([
        stream({
          name: 'enqueue',
          url: base,
          connections: o.connections,
          durationMs: o.durationMs,
          request: enqueue,
        }),
        stream({
          name: 'read',
          url: base,
          connections: o.connections,
          durationMs: o.durationMs,
          request: reads,
        }),
        stream({
          name: 'trigger',
          url: base,
          connections: o.connections,
          durationMs: o.durationMs,
          request: trigger,
        }),
        stream({
          name: 'metrics',
          url: base,
          connections: 1,
          durationMs: o.durationMs,
          request: metrics,
        }),
      ]),
    ours,
  )
  const loadEnd = Date.now()
  const sabotageNote = await sabotaging.stop()
  log(
    `load over in ${seconds(loadEnd - loadStart)}: ${n(streams.reduce((a, s) => a + s.requests, 0))} responses`,
  )

  // ---- drain, then a graceful stop ----
  const live = async () =>
    Number(
      (
        await runSql(`SELECT count(*) AS n FROM ${SCHEMA}.runs WHERE job = ANY($1)`, [
          [LOAD_JOB, TRIGGER_JOB],
        ])
      ).rows[0].n,
    )
  let drainLeft = await live()
  while (drainLeft > 0 && Date.now() - loadEnd < o.drainMs) {
    await sleep(200)
    drainLeft = await live()
  }
  const drained = Date.now()
  if (drainLeft) log(`drain timed out: ${drainLeft} runs still live`)
  await fleet.stop('server', { ms: 30_000 })
  await Promise.all(workers.map((w) => fleet.stop(w, { ms: 30_000 })))

  if (o.sabotage === 'lose-run')
    await runSql(
      `DELETE FROM ${SCHEMA}.run_history WHERE id IN (SELECT id FROM ${SCHEMA}.run_history WHERE job = $1 ORDER BY id LIMIT 3)`,
      [LOAD_JOB],
    )

  // ---- the count ----
  const cols = 'id, job, key, source, state, attempt, created_at, started_at'
  const db = (
    await runSql(
      `SELECT ${cols}, finished_at FROM ${SCHEMA}.run_history WHERE job = ANY($1)
       UNION ALL SELECT ${cols}, NULL FROM ${SCHEMA}.runs WHERE job = ANY($1) ORDER BY id`,
      [[LOAD_JOB, TRIGGER_JOB]],
    )
  ).rows
  const report = new Report()
  const byName = Object.fromEntries(streams.map((s) => [s.name, s]))
  checkEnqueues(report, { db, enqueued, enqueueOther, sent, connections: o.connections })
  checkRunOnce(report, { db, ledger, drainLeft })
  checkTriggers(report, { db, ledger, triggered, connections: o.connections })
  checkStatuses(report, byName, { enqueueOther, triggerOther, problems })
  const unclean = fleet.incarnations.filter(
    (i) => i.stopRequestedAt === null || i.code !== 0 || i.escalated,
  )
  report.check(
    'every process up to the end, then stopped gracefully',
    'exit 0 each, on SIGTERM',
    unclean.length ? `${unclean.length} did not` : 'all exit 0',
    unclean.length === 0,
    [
      ...unclean.map(
        (i) =>
          `${i.name} pid ${i.pid}: ${i.stopRequestedAt === null ? `died at t+${seconds(i.endedAt - loadStart)} (${i.signal ?? i.code})` : i.escalated ? 'SIGKILLed after 30 s' : `exit ${i.signal ?? i.code}`}`,
      ),
      ...problems.slice(0, 12),
    ],
  )

  // ---- figures ----
  console.log(`\n${endpointTable(streams)}`)
  const loadRuns = db.filter((r) => r.job === LOAD_JOB && r.finished_at)
  const lastFinished = Math.max(...loadRuns.map((r) => r.finished_at.getTime()))
  report.figure(
    'machine',
    `${availableParallelism()} CPUs, node ${process.version}, Postgres ${pg.version}${pg.embedded ? ' (embedded)' : ''}`,
  )
  report.figure(
    'runs',
    `${n(loadRuns.length)} enqueued over HTTP, ${n(db.filter((r) => r.job === TRIGGER_JOB).length)} triggered`,
  )
  report.figure(
    'drain',
    `the last run ended ${seconds(Math.max(0, lastFinished - loadEnd))} after the load; ${n(Math.round((loadRuns.length / Math.max(1, lastFinished - loadStart)) * 1000))} runs/s from the first request`,
  )
  report.figure(
    'server RSS',
    serverMem.length
      ? `${Math.round(serverMem[0] / 2 ** 20)} MB at start, ${Math.round(Math.max(...serverMem) / 2 ** 20)} MB peak`
      : 'not sampled',
  )
  report.figure(
    'other processes',
    `${Math.round(foreign * 100)}% of the CPUs during the load (not this run's, not Postgres)`,
  )
  if (sabotageNote) report.figure('sabotage', sabotageNote)
  report.figure(
    'timeline',
    `load ${seconds(loadEnd - loadStart)}, drained ${seconds(drained - loadEnd)} later; total ${seconds(Date.now() - started)}`,
  )
  const ok = report.print()
  await cleanup()
  process.exit(ok ? 0 : 1)
}

/** What --sabotage does while the load runs; `stop()` ends it and says what it did. */
function sabotageDuring(o, { base, admin, pg, loadStart, runSql }) {
  if (o.sabotage === 'db-error') {
    const done = sleep(loadStart + o.durationMs / 2 - Date.now()).then(async () => {
      await runSql(`ALTER TABLE ${SCHEMA}.locks RENAME TO locks_gone`)
      await sleep(1000)
      await runSql(`ALTER TABLE ${SCHEMA}.locks_gone RENAME TO locks`)
    })
    return {
      stop: async () => {
        await done
        return 'the locks table was renamed away for 1 s'
      },
    }
  }
  if (o.sabotage === 'clear-lock') {
    let cleared = 0
    const timer = setInterval(async () => {
      const res = await fetch(
        `${base}/api/locks/${encodeURIComponent(`job-lock:${TRIGGER_JOB}`)}`,
        {
          method: 'DELETE',
          headers: admin,
        },
      ).catch(() => undefined)
      if (res?.ok) cleared++
    }, 50)
    return {
      stop: async () => {
        clearInterval(timer)
        return `the trigger lock was deleted ${cleared} times`
      },
    }
  }
  if (o.sabotage === 'pg-restart') {
    const done = sleep(loadStart + o.durationMs / 2 - Date.now()).then(() => pg.restart())
    return {
      stop: async () => {
        const r = await done
        return `Postgres restarted, down ${seconds(r.readyAt - r.stoppedAt)}`
      },
    }
  }
  return { stop: async () => undefined }
}

/**
 * Every 201 says created, with its own run, which the database holds under the request's
 * key; every run of the load job answers one request, but for those whose answer the
 * load's stop cut off (at most one per connection).
 */
function checkEnqueues(report, { db, enqueued, enqueueOther, sent, connections }) {
  const runs = db.filter((r) => r.job === LOAD_JOB)
  const byId = new Map(runs.map((r) => [r.id, r]))
  const runsByKey = new Map()
  for (const r of runs) runsByKey.set(r.key, [...(runsByKey.get(r.key) ?? []), r])
  const bad = []
  const ids = new Set()
  for (const e of enqueued) {
    if (!e.created) bad.push(`key ${e.key}: 201 with created: false (run ${e.id})`)
    if (ids.has(e.id)) bad.push(`run ${e.id} answered a second 201 (key ${e.key})`)
    ids.add(e.id)
    const r = byId.get(e.id)
    if (!r) bad.push(`run ${e.id} (key ${e.key}) answered 201 but is not in the database`)
    else if (r.key !== e.key) bad.push(`run ${e.id} has key ${r.key}, the request sent ${e.key}`)
  }
  for (const [key, rs] of runsByKey)
    if (rs.length > 1) bad.push(`key ${key}: ${rs.length} runs (${rs.map((r) => r.id).join(', ')})`)
  const created = enqueued.filter((e) => e.created).length
  report.check(
    'every 201 created exactly one run',
    '201s = created: true = distinct runs in the database',
    `${n(enqueued.length)} 201s, ${n(created)} created, ${n(ids.size)} distinct, ${n(runs.length)} runs`,
    bad.length === 0,
    bad,
  )
  // runs no 201 answered: a request whose answer the stop cut off, or nothing we sent
  const answered = new Set([...enqueued.map((e) => e.id)])
  const refused = new Set(enqueueOther.map((e) => e.key))
  const unanswered = runs.filter((r) => !answered.has(r.id))
  const foreign = unanswered.filter((r) => !sent.has(r.key) || refused.has(r.key))
  const cutOff = unanswered.length - foreign.length
  report.check(
    'no run without a request',
    `every run answers a 201 (≤ ${connections} cut off by the load's stop)`,
    `${n(runs.length - unanswered.length)} answered, ${cutOff} cut off, ${foreign.length} other`,
    foreign.length === 0 && cutOff <= connections,
    unanswered.map((r) => `run ${r.id} key ${r.key}: no 201 answered it`),
  )
}

/** Every run ended completed, executed exactly once, its completion written once. */
function checkRunOnce(report, { db, ledger, drainLeft }) {
  const bad = []
  let once = 0
  for (const r of db) {
    const entry = ledger.runs.get(r.id)
    const execs = entry?.execs ?? []
    const done = entry?.outcomes.filter((x) => x.kind === 'done').length ?? 0
    if (r.state !== 'completed') bad.push(`run ${r.id} (${r.job}) ${r.state}, attempt ${r.attempt}`)
    else if (execs.length !== 1 || !execs[0].end?.ok || done !== 1)
      bad.push(
        `run ${r.id} (${r.job}): ${execs.length} executions (${execs.filter((x) => x.end?.ok).length} ok), ${done} completions written`,
      )
    else once++
  }
  const inDb = new Set(db.map((r) => r.id))
  const ghosts = [...ledger.runs.keys()].filter((id) => !inDb.has(id))
  for (const id of ghosts) bad.push(`run ${id} executed but is not in the database (lost)`)
  report.check(
    'no run lost or doubled',
    'each run completed, executed once; none live',
    `${n(once)} of ${n(db.length)} once; ${bad.length} not; ${drainLeft} live`,
    bad.length === 0 && drainLeft === 0,
    bad,
  )
}

/** The triggered runs never overlapped (the trigger lock), and each 202 made one. */
function checkTriggers(report, { db, ledger, triggered, connections }) {
  const execs = ledger.executions(TRIGGER_JOB).sort((a, b) => a.t - b.t)
  const overlaps = []
  for (let k = 1; k < execs.length; k++) {
    const prev = execs[k - 1]
    const next = execs[k]
    const prevEnd = prev.end?.t ?? Number.POSITIVE_INFINITY
    if (next.t < prevEnd)
      overlaps.push(
        `run ${next.id} started ${prevEnd === Number.POSITIVE_INFINITY ? 'while' : `${prevEnd - next.t} ms before`} run ${prev.id} ended`,
      )
  }
  report.check(
    'triggered runs never overlapped',
    '0 overlaps (the trigger lock)',
    `${overlaps.length} in ${execs.length} executions`,
    overlaps.length === 0,
    overlaps,
  )
  const runs = db.filter((r) => r.job === TRIGGER_JOB)
  const ids = new Set(runs.map((r) => r.id))
  const bad = triggered.filter((id) => !ids.has(id)).map((id) => `202 with run ${id}: no such run`)
  const answered = new Set(triggered)
  const unanswered = runs.filter((r) => !answered.has(r.id))
  for (const r of runs) if (r.source !== 'trigger') bad.push(`run ${r.id} has source ${r.source}`)
  if (new Set(triggered).size !== triggered.length) bad.push('a run id answered two 202s')
  report.check(
    'every 202 made one triggered run',
    `202s = triggered runs (≤ ${connections} cut off by the stop)`,
    `${triggered.length} 202s, ${runs.length} runs, ${unanswered.length} unanswered`,
    bad.length === 0 && unanswered.length <= connections,
    [...bad, ...unanswered.map((r) => `run ${r.id}: no 202 answered it`)],
  )
}

/** Each stream got only the answers it should, none a 5xx, no socket error. */
function checkStatuses(report, s, { enqueueOther, triggerOther, problems }) {
  const expected = { enqueue: ['201'], read: ['200'], trigger: ['202', '429'], metrics: ['200'] }
  const wrong = []
  for (const [name, codes] of Object.entries(expected)) {
    const st = s[name]
    for (const [code, c] of Object.entries(st.statuses))
      if (!codes.includes(code)) wrong.push(`${name}: ${c} × ${code}`)
    if (st.errors || st.timeouts)
      wrong.push(`${name}: ${st.errors} socket errors, ${st.timeouts} timeouts`)
  }
  const samples = [...enqueueOther, ...triggerOther].slice(0, 5).map((e) => `${e.status} ${e.body}`)
  report.check(
    'only the expected statuses',
    'enqueue 201; reads 200; trigger 202 or 429; metrics 200',
    wrong.length ? wrong.join('; ') : 'as expected',
    wrong.length === 0,
    [...samples, ...problems.slice(0, 10)],
  )
  const fives = Object.values(s).reduce((a, st) => a + serverErrors(st.statuses), 0)
  report.check('no 5xx', '0', String(fives), fives === 0, problems.slice(0, 10))
}

function endpointTable(streams) {
  const rows = streams.map((s) => [
    s.name === 'read' ? 'GET /api/runs, /api/jobs/:job' : endpointOf(s.name),
    String(s.connections),
    fmtInt(s.requests),
    fmtInt(s.rps),
    fmtMs(s.latency.p50),
    fmtMs(s.latency.p90),
    fmtMs(s.latency.p99),
    fmtMs(s.latency.max),
    describeStatuses(s.statuses),
  ])
  return table(
    [
      { title: 'endpoint', align: 'left' },
      { title: 'conns', align: 'right' },
      { title: 'requests', align: 'right' },
      { title: 'req/s', align: 'right' },
      { title: 'p50 ms', align: 'right' },
      { title: 'p90 ms', align: 'right' },
      { title: 'p99 ms', align: 'right' },
      { title: 'max ms', align: 'right' },
      { title: 'statuses', align: 'left' },
    ],
    rows,
  )
}

const endpointOf = (name) =>
  ({
    enqueue: `POST /api/jobs/${LOAD_JOB}/runs`,
    trigger: `POST /trigger/${TRIGGER_JOB}`,
    metrics: 'GET /metrics',
  })[name]

let cleanupRef = async () => {}

main().catch(async (err) => {
  console.error(err?.stack ?? err)
  await cleanupRef().catch(() => {})
  process.exit(1)
})
