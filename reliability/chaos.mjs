// The chaos run: worker and scheduler processes on one Postgres, thousands of runs
// enqueued while a one-second cron job and a windowed job run, one process SIGKILLed
// and restarted every few seconds, the Postgres server restarted once, and then the
// count of what was lost, doubled or skipped. `npm run chaos` (builds first);
// `node reliability/chaos.mjs --help` for the options. Exits 1 when a check fails.
import { writeFileSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { count, duration, prng, readOptions, seconds, UsageError } from './lib/args.mjs'
import {
  CRON_JOB,
  DESIGNS,
  defineJobs,
  FLAKY_MESSAGE,
  JOB,
  PERM_MESSAGE,
  WINDOW_JOB,
} from './lib/jobs.mjs'
import { describeExec, Ledger } from './lib/ledger.mjs'
import { Fleet } from './lib/processes.mjs'
import { Report } from './lib/report.mjs'
import { prepare, teardown } from './lib/start.mjs'

const HELP = `usage: node reliability/chaos.mjs [options]   (npm run chaos -- [options] builds first)

  --duration D      the chaos phase (default 60s): runs are enqueued over its first 60%,
                    processes are killed until 75%, Postgres restarts at 50%; then the
                    queue drains (up to --drain-timeout) and every process stops gracefully
  --runs N          runs enqueued (default 20000): 90% complete, 5% fail for good
                    (PermanentError), 5% fail twice and then complete
  --workers N       worker processes (default 4)
  --schedulers N    scheduler processes (default 2)
  --kill-every D    one random process is SIGKILLed and restarted this often (default 3s)
  --lease D         the workers' leaseTime (default 5s)
  --concurrency N   handlers of the chaos job at once per worker (default 20)
  --prefetch N      runs of the chaos job each worker fetches ahead and holds beyond
                    its free slots (default 20; 0 for none): a SIGKILL takes those too
  --drain-timeout D how long to wait for the queue to drain after the chaos (default 60s)
  --database URL    a Postgres on this machine instead of the embedded one it starts;
                    its schema tickwork_chaos is dropped first. It cannot be restarted,
                    so the restart is skipped (and the report says so)
  --pg-restart M    'fast' (default: fast shutdown) or 'immediate' (SIGQUIT, as a crash)
  --pg-down D       how long Postgres stays down before it starts again (default 0ms;
                    longer than --lease makes leases lapse)
  --seed N          seeds the kill choices and the runs' designs (default 1)
  --evidence FILE   write the ledger and timeline there (without it, they are written
                    to a file in the temp folder only when a check fails)
  --sabotage NAME   break something on purpose, to see a check fail: lose-run,
                    extra-run, wrong-design, double-run, skip-ledger, dup-tick,
                    window-gap, watermark, hang-stop (docs/reliability.md says how)
  -h, --help

Checks: none lost (every run completed or failed as designed, nothing left live); every
duplicate execution explained by a SIGKILL of the process holding it or by the Postgres
restart; exactly one run per tick of the one-second cron job; the windows contiguous
(no gap, no overlap) and the watermark at the last completed window's end.`

const SABOTAGE = [
  'lose-run',
  'extra-run',
  'wrong-design',
  'double-run',
  'skip-ledger',
  'dup-tick',
  'window-gap',
  'watermark',
  'hang-stop',
]
const SCHEMA = 'tickwork_chaos'
const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
const log = (msg) => process.stderr.write(`  ${msg}\n`)

function options() {
  return readOptions(
    HELP,
    {
      duration: { type: 'string', default: '60s' },
      runs: { type: 'string', default: '20000' },
      workers: { type: 'string', default: '4' },
      schedulers: { type: 'string', default: '2' },
      'kill-every': { type: 'string', default: '3s' },
      lease: { type: 'string', default: '5s' },
      concurrency: { type: 'string', default: '20' },
      prefetch: { type: 'string', default: '20' },
      'drain-timeout': { type: 'string', default: '60s' },
      database: { type: 'string' },
      'pg-restart': { type: 'string', default: 'fast' },
      'pg-down': { type: 'string', default: '0ms' },
      seed: { type: 'string', default: '1' },
      evidence: { type: 'string' },
      sabotage: { type: 'string' },
    },
    (values) => {
      const o = {
        durationMs: duration(values.duration, 'duration'),
        runs: count(values.runs, 'runs', 1),
        workers: count(values.workers, 'workers', 1),
        schedulers: count(values.schedulers, 'schedulers', 1),
        killEveryMs: duration(values['kill-every'], 'kill-every'),
        leaseMs: duration(values.lease, 'lease'),
        concurrency: count(values.concurrency, 'concurrency', 1),
        prefetch: count(values.prefetch, 'prefetch'),
        drainMs: duration(values['drain-timeout'], 'drain-timeout'),
        database: values.database,
        pgRestart: values['pg-restart'],
        pgDownMs: duration(values['pg-down'], 'pg-down'),
        seed: count(values.seed, 'seed'),
        evidence: values.evidence,
        sabotage: values.sabotage,
      }
      if (o.durationMs < 5000) throw new UsageError('--duration: at least 5s')
      if (o.leaseMs < 500) throw new UsageError('--lease: at least 500ms')
      if (!['fast', 'immediate'].includes(o.pgRestart))
        throw new UsageError(`--pg-restart: 'fast' or 'immediate', got '${o.pgRestart}'`)
      if (o.sabotage && !SABOTAGE.includes(o.sabotage))
        throw new UsageError(`--sabotage: one of ${SABOTAGE.join(', ')}`)
      return o
    },
  )
}

async function main() {
  const o = options()
  const random = prng(o.seed)

  // ---- Postgres ----
  const { Tickwork, started, pg, runSql } = await prepare({
    built: here('../dist/index.js'),
    missing: 'dist/index.js is missing: run `npm run build` (npm run chaos does)',
    database: o.database,
    schema: SCHEMA,
  })
  console.log(
    `chaos: ${o.workers} workers + ${o.schedulers} schedulers, ${o.runs.toLocaleString('en-US')} runs, ` +
      `concurrency ${o.concurrency} + prefetch ${o.prefetch} per worker, ${seconds(o.durationMs)}, a kill every ${seconds(o.killEveryMs)}, lease ${seconds(o.leaseMs)}, seed ${o.seed}; ` +
      `Postgres ${pg.version} (${pg.embedded ? 'embedded, restarted once' : 'given by URL: no restart'}); ` +
      `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim()})`,
  )

  const windowStart = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString()
  const jobOptions = {
    windowStart,
    concurrency: o.concurrency,
    prefetch: o.prefetch,
    sabotage: o.sabotage,
  }
  // the parent's Tickwork: migrates, enqueues; never started
  const tw = new Tickwork({ database: pg.url, schema: SCHEMA, logger: false })
  tw.on('error', () => {})
  const jobs = defineJobs(tw, jobOptions)
  await tw.migrate()

  // ---- processes ----
  const ledger = new Ledger()
  const stderrLines = []
  const fleet = new Fleet({
    onLine: (msg, inc) => {
      ledger.add(msg, inc)
      if (msg.e === 'fatal')
        stderrLines.push(`${inc.name} (pid ${inc.pid}): ${msg.m.split('\n')[0]}`)
    },
    onText: (line, inc) => stderrLines.push(`${inc.name} (pid ${inc.pid}): ${line}`),
  })
  const names = []
  const spec = (role) => ({
    role,
    args: [
      here('./lib/child.mjs'),
      JSON.stringify({
        database: pg.url,
        schema: SCHEMA,
        role,
        leaseMs: o.leaseMs,
        pollMs: 200,
        poolSize: 6,
        graceMs: 10_000,
        jobOptions,
      }),
    ],
  })
  for (let k = 0; k < o.workers; k++) names.push([`worker-${k + 1}`, 'worker'])
  for (let k = 0; k < o.schedulers; k++) names.push([`scheduler-${k + 1}`, 'scheduler'])
  const cleanup = teardown({ fleet, tw, pg })
  cleanupRef = cleanup
  await Promise.all(names.map(([name, role]) => fleet.start(name, spec(role))))
  const t0 = Date.now()
  log(`${names.length} processes ready in ${seconds(t0 - started)}`)

  /** Starts `name` again, retrying while it fails (Postgres may be restarting). */
  async function respawn(name) {
    for (let tries = 0; ; tries++) {
      try {
        return await fleet.start(name)
      } catch (err) {
        if (tries >= 60) throw err
        await sleep(500)
      }
    }
  }

  // ---- the chaos phase: enqueue, kill, restart Postgres, all at once ----
  const enqueued = new Map() // id → payload
  const enqueueErrors = []
  const enqueueUntil = t0 + o.durationMs * 0.6
  const killUntil = t0 + o.durationMs * 0.75
  const restartAt = t0 + o.durationMs * 0.5
  const designs = Array.from({ length: o.runs }, () => {
    const x = random.next()
    return x < 0.9 ? 'ok' : x < 0.95 ? 'perm' : 'flaky'
  })

  async function enqueueAll() {
    const batches = Math.max(1, Math.floor((enqueueUntil - t0) / 100))
    const size = Math.ceil(o.runs / batches)
    for (let b = 0, i = 0; i < o.runs; b++) {
      await sleep(t0 + b * 100 - Date.now())
      let items = []
      for (const end = Math.min(o.runs, i + size); i < end; i++)
        items.push({ payload: { i, d: designs[i], ms: (i * 7) % 100 } })
      for (let tries = 0; items.length > 0; tries++) {
        try {
          const res = await jobs.chaos.enqueueMany(items)
          for (const [k, r] of res.entries()) enqueued.set(r.id, items[k].payload)
          break
        } catch (err) {
          // Postgres restarting: the batch may or may not have committed. As a careful
          // producer would, look up which runs exist, and enqueue only the others.
          enqueueErrors.push(String(err?.message ?? err))
          if (tries >= 60) throw err
          await sleep(500)
          try {
            const { rows } = await runSql(
              `SELECT id, (payload->>'i')::int AS i FROM ${SCHEMA}.runs WHERE job = $1 AND (payload->>'i')::int = ANY($2)
               UNION ALL
               SELECT id, (payload->>'i')::int FROM ${SCHEMA}.run_history WHERE job = $1 AND (payload->>'i')::int = ANY($2)`,
              [JOB, items.map((x) => x.payload.i)],
            )
            const there = new Map(rows.map((r) => [r.i, r.id]))
            for (const x of items)
              if (there.has(x.payload.i)) enqueued.set(there.get(x.payload.i), x.payload)
            items = items.filter((x) => !there.has(x.payload.i))
          } catch {
            // still down: try the whole batch again
          }
        }
      }
    }
  }

  const kills = []
  async function killLoop() {
    for (let at = t0 + o.killEveryMs; at < killUntil; at += o.killEveryMs) {
      // a seeded offset, so kills do not fall in step with the enqueue's batches
      await sleep(at + (random.next() - 0.5) * 0.6 * o.killEveryMs - Date.now())
      const name = random.pick(names.map(([n]) => n))
      const old = await fleet.kill(name)
      if (!old) continue
      const inc = await respawn(name)
      kills.push({ name, role: old.role, pid: old.pid, at: old.killedAt, newPid: inc.pid })
      log(
        `t+${seconds(old.killedAt - t0)} SIGKILL ${name} (pid ${old.pid}); back as pid ${inc.pid} in ${seconds(inc.readyAt - old.killedAt)}`,
      )
    }
  }

  const restarts = []
  async function restartPostgres() {
    if (!pg.restartable) return
    await sleep(restartAt - Date.now())
    const r = await pg.restart({ mode: o.pgRestart, downMs: o.pgDownMs })
    restarts.push({ ...r, crash: o.pgRestart === 'immediate' })
    log(
      `t+${seconds(r.stoppedAt - t0)} Postgres restarted (${o.pgRestart}): down ${seconds(r.readyAt - r.stoppedAt)}`,
    )
  }

  let failure
  try {
    await Promise.all([enqueueAll(), killLoop(), restartPostgres()])
    await sleep(t0 + o.durationMs - Date.now())
  } catch (err) {
    failure = err
    log(`the chaos phase failed: ${err?.stack ?? err}`)
  }
  const chaosEnd = Date.now()

  // ---- drain: the chaos job's runs finish; then the schedulers stop, then the workers ----
  const live = async (job) =>
    Number(
      (await runSql(`SELECT count(*) AS n FROM ${SCHEMA}.runs WHERE job = $1`, [job])).rows[0].n,
    )
  async function waitNoLive(jobNames, until) {
    for (;;) {
      const left = (await Promise.all(jobNames.map(live))).reduce((a, b) => a + b, 0)
      if (left === 0) return 0
      if (Date.now() > until) return left
      await sleep(250)
    }
  }
  const drainLeft = await waitNoLive([JOB], Date.now() + o.drainMs)
  const drained = Date.now()
  if (drainLeft) log(`drain timed out: ${drainLeft} runs of ${JOB} still live`)
  await Promise.all(
    names.filter(([, r]) => r === 'scheduler').map(([n]) => fleet.stop(n, { ms: 20_000 })),
  )
  const scheduledLeft = await waitNoLive([CRON_JOB, WINDOW_JOB], Date.now() + 30_000)
  await Promise.all(
    names.filter(([, r]) => r === 'worker').map(([n]) => fleet.stop(n, { ms: 20_000 })),
  )
  const stoppedAll = Date.now()

  // sabotage done to the database after the fact, to see the checks catch it
  await sabotageDatabase(o.sabotage, runSql)

  // ---- checks ----
  const report = new Report()
  const db = await readDatabase(runSql)
  checkNoneLost(report, { enqueued, db, ledger, drainLeft })
  const dups = ledger.duplicates({ restarts })
  checkDuplicates(report, dups, pg)
  checkTicks(report, { db, ledger, scheduledLeft })
  checkWindows(report, { db, windowStart })
  if (failure)
    report.check('chaos phase ran to its end', 'no error', String(failure.message), false)
  // a process that exited unasked (neither killed nor told to stop) after it was ready
  const died = fleet.incarnations.filter(
    (i) =>
      i.readyAt !== null && i.killedAt === null && i.stopRequestedAt === null && i.endedAt !== null,
  )
  const fatalOf = (pid) => stderrLines.filter((l) => l.includes(`(pid ${pid})`)).slice(0, 3)
  report.check(
    'no process died unasked',
    '0 exits but our SIGKILLs and stops',
    `${died.length} died`,
    died.length === 0,
    died.flatMap((i) => [
      `${i.name} pid ${i.pid} exited ${i.signal ?? i.code} at t+${seconds(i.endedAt - t0)}`,
      ...fatalOf(i.pid).map((l) => `  ${l}`),
    ]),
  )
  const graceful = fleet.incarnations.filter(
    (i) => i.stopRequestedAt !== null && (i.code !== 0 || i.escalated),
  )
  report.check(
    'processes stopped gracefully at the end',
    'exit 0 each',
    graceful.length ? `${graceful.length} did not` : 'all exit 0',
    graceful.length === 0,
    graceful
      .map(
        (i) =>
          `${i.name} pid ${i.pid}: ${i.escalated ? 'SIGKILLed after 20 s' : (i.signal ?? i.code)}`,
      )
      .concat(stderrLines),
  )

  // ---- figures ----
  const chaosRuns = db.history.filter((r) => r.job === JOB)
  const firstCreated = Math.min(...chaosRuns.map((r) => r.created_at.getTime()))
  const lastFinished = Math.max(...chaosRuns.map((r) => r.finished_at.getTime()))
  const byRole = (role) => kills.filter((k) => k.role === role).length
  report.figure(
    'machine',
    `${availableParallelism()} CPUs, node ${process.version}, Postgres ${pg.version}`,
  )
  report.figure(
    'throughput',
    `${Math.round((chaosRuns.length / (lastFinished - firstCreated)) * 1000)} runs/s (first enqueue → last finished, ${seconds(lastFinished - firstCreated)})`,
  )
  const perSecond = new Map()
  for (const r of chaosRuns) {
    const k = Math.floor(r.finished_at.getTime() / 1000)
    perSecond.set(k, (perSecond.get(k) ?? 0) + 1)
  }
  report.figure(
    'busiest second',
    `${Math.max(0, ...perSecond.values())} runs ended (the enqueue paces the rest)`,
  )
  report.figure(
    'executions',
    `${ledger.executions().length.toLocaleString('en-US')} (chaos job ${ledger.executions(JOB).length.toLocaleString('en-US')})`,
  )
  report.figure(
    'kills (SIGKILL + restart)',
    `${kills.length}: ${byRole('worker')} workers, ${byRole('scheduler')} schedulers`,
  )
  report.figure(
    'Postgres restarts',
    pg.restartable
      ? restarts
          .map(
            (r) =>
              `${o.pgRestart}, down ${seconds(r.readyAt - r.stoppedAt)} at t+${seconds(r.stoppedAt - t0)}`,
          )
          .join('; ') || 'none'
      : 'none: the server was given by URL',
  )
  // executions the killed processes had not finished (no outcome written by them)
  let inFlight = 0
  for (const r of ledger.runs.values())
    for (const x of r.execs)
      if (
        x.inc.killedAt !== null &&
        !x.inc.escalated &&
        !r.outcomes.some((c) => c.pid === x.pid && c.a === x.a && c.kind !== 'stalled')
      )
        inFlight++
  report.figure('executions cut short by the kills', inFlight)
  report.figure('stalled runs taken back', ledger.kinds.get('stalled') ?? 0)
  report.figure(
    'background errors reported',
    `${ledger.errors.length} (lost connections and the like)`,
  )
  report.figure(
    'enqueue retries',
    `${enqueueErrors.length} (a batch refused while Postgres restarted is looked up, the missing runs enqueued again)`,
  )
  report.figure(
    'timeline',
    `chaos ${seconds(chaosEnd - t0)}, drained ${seconds(drained - chaosEnd)} later, all stopped ${seconds(stoppedAll - drained)} after; total ${seconds(Date.now() - started)}`,
  )
  const ok = report.print()

  if (!ok || o.evidence) {
    const file = o.evidence ?? join(tmpdir(), `tickwork-chaos-evidence-${Date.now()}.json`)
    writeFileSync(
      file,
      JSON.stringify(
        {
          options: o,
          t0,
          windowStart,
          restarts,
          kills,
          incarnations: fleet.incarnations.map(({ proc, ...i }) => i),
          failed: report.failed,
          duplicates: dups.duplicates.map((d) => ({
            ...d,
            prev: strip(d.prev),
            next: strip(d.next),
          })),
          errors: ledger.errors.slice(0, 1000),
          stderr: stderrLines.slice(0, 1000),
          ledger: Object.fromEntries(
            [...ledger.runs].map(([id, r]) => [
              id,
              { execs: r.execs.map(strip), outcomes: r.outcomes },
            ]),
          ),
        },
        null,
        1,
      ),
    )
    console.log(`evidence (ledger, kills, restarts, processes): ${file}`)
  }
  await cleanup()
  process.exit(ok ? 0 : 1)
}

let cleanupRef = async () => {}

const strip = ({ inc, ...x }) => ({ ...x, name: inc.name, killedAt: inc.killedAt })

async function readDatabase(runSql) {
  const cols =
    'id, job, state, attempt, payload, errors, tick, window_from, window_to, source, created_at'
  const history = (
    await runSql(`SELECT ${cols}, finished_at FROM ${SCHEMA}.run_history ORDER BY id`)
  ).rows
  const live = (await runSql(`SELECT ${cols}, state FROM ${SCHEMA}.runs ORDER BY id`)).rows
  const ticks = (await runSql(`SELECT job, at, outcome, run_id FROM ${SCHEMA}.ticks ORDER BY at`))
    .rows
  const watermark = (
    await runSql(`SELECT value FROM ${SCHEMA}.watermarks WHERE job = $1`, [WINDOW_JOB])
  ).rows[0]?.value
  return { history, live, ticks, watermark }
}

/** 1. Every enqueued run is completed or failed, as its design says; nothing left live. */
function checkNoneLost(report, { enqueued, db, ledger, drainLeft }) {
  const final = new Map(db.history.filter((r) => r.job === JOB).map((r) => [r.id, r]))
  const live = db.live.filter((r) => r.job === JOB)
  const missing = [...enqueued.keys()].filter((id) => !final.has(id))
  const unexpected = [...final.keys(), ...live.map((r) => r.id)].filter((id) => !enqueued.has(id))
  const wrong = []
  const unexecuted = []
  const tally = Object.fromEntries(DESIGNS.map((d) => [d, 0]))
  for (const [id, r] of final) {
    const design = r.payload?.d
    tally[design] = (tally[design] ?? 0) + 1
    const errs = r.errors ?? []
    const others = (allowed) =>
      errs
        .filter((e) => e.name !== 'StalledError' && !allowed(e))
        .map((e) => `${e.name}: ${e.message}`)
    let problem
    if (design === 'ok') {
      if (r.state !== 'completed') problem = `state ${r.state}`
      else if (others(() => false).length) problem = `errors ${others(() => false)}`
    } else if (design === 'perm') {
      const last = errs.at(-1)
      if (r.state !== 'failed') problem = `state ${r.state}`
      else if (last?.name !== 'PermanentError' || last.message !== PERM_MESSAGE)
        problem = `last error ${last?.name}: ${last?.message}`
    } else if (design === 'flaky') {
      const flaky = errs.filter((e) => e.message === FLAKY_MESSAGE).length
      if (r.state !== 'completed') problem = `state ${r.state}`
      else if (r.attempt < 3) problem = `completed at attempt ${r.attempt}`
      else if (flaky < 1 || others((e) => e.message === FLAKY_MESSAGE).length)
        problem = `errors ${errs.map((e) => e.name)}`
    } else problem = `unknown design ${design}`
    if (problem) wrong.push(`run ${id} (design ${design}): ${problem}`)
    if (r.state === 'completed' && !ledger.runs.get(id)?.execs.some((x) => x.end?.ok))
      unexecuted.push(`run ${id} completed but no successful execution is in the ledger`)
  }
  const lostOk = missing.length === 0 && live.length === 0 && !drainLeft
  report.check(
    'none lost: every run ended',
    `${enqueued.size} ended, 0 live`,
    `${final.size - unexpected.filter((id) => final.has(id)).length} ended, ${live.length} live, ${missing.length} missing`,
    lostOk,
    [
      ...missing.map(
        (id) => `run ${id} (payload ${JSON.stringify(enqueued.get(id))}) not in the history`,
      ),
      ...live.map((r) => `run ${r.id} still ${r.state}, attempt ${r.attempt}`),
    ],
  )
  report.check(
    'no run that was not enqueued',
    '0',
    String(unexpected.length),
    unexpected.length === 0,
    unexpected.map((id) => `run ${id}`),
  )
  report.check(
    'each run ended as designed',
    'ok→completed, perm→failed, flaky→completed at attempt ≥ 3',
    `${wrong.length} wrong (ok ${tally.ok}, perm ${tally.perm}, flaky ${tally.flaky})`,
    wrong.length === 0,
    wrong,
  )
  report.check(
    'every completed run executed (ledger)',
    '0 without a successful execution',
    String(unexecuted.length),
    unexecuted.length === 0,
    unexecuted,
  )
}

/** 2. Every duplicate execution explained by a SIGKILL or by the Postgres restart. */
function checkDuplicates(report, { duplicates, runs }, pg) {
  const n = (why) => duplicates.filter((d) => d.why === why).length
  const unexplained = duplicates.filter((d) => d.why === 'unexplained')
  report.check(
    'duplicates explained',
    '0 unexplained',
    `${runs} runs re-executed: ${n('kill')} after a SIGKILL, ${n('restart')} in the restart window${pg.restartable ? '' : ' (none)'}, ${unexplained.length} unexplained`,
    unexplained.length === 0,
    unexplained.map(
      (d) =>
        `run ${d.id} (${d.job})${d.completed ? ' after its completion was written' : ''}: ${describeExec(d.prev)} → ${describeExec(d.next)}`,
    ),
  )
}

/** 3. Exactly one run per tick of the one-second cron job. */
function checkTicks(report, { db, ledger, scheduledLeft }) {
  const ticks = db.ticks.filter((t) => t.job === CRON_JOB)
  const runs = [...db.history, ...db.live].filter((r) => r.job === CRON_JOB)
  const byTick = new Map()
  for (const r of runs) {
    const k = r.tick?.getTime()
    byTick.set(k, [...(byTick.get(k) ?? []), r])
  }
  const problems = []
  for (const [k, rs] of byTick)
    if (rs.length > 1) problems.push(`tick ${iso(k)}: ${rs.length} runs (${rs.map((r) => r.id)})`)
  const recorded = new Map(ticks.map((t) => [t.at.getTime(), t]))
  const outcomes = {}
  for (const t of ticks) {
    outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1
    if (t.outcome !== 'run') continue
    const rs = byTick.get(t.at.getTime()) ?? []
    const done = rs.filter((r) => r.state === 'completed')
    if (done.length !== 1 || String(done[0].id) !== String(t.run_id))
      problems.push(
        `tick ${iso(t.at)} recorded as run ${t.run_id}: ${rs.map((r) => `${r.id} ${r.state}`).join(', ') || 'no run'}`,
      )
  }
  for (const [k, rs] of byTick)
    if (!recorded.has(k)) problems.push(`run ${rs[0].id} for tick ${iso(k)}: no tick recorded`)
  // the ledger: no tick executed under two run ids
  const execIds = new Map()
  for (const x of ledger.executions(CRON_JOB)) {
    const ids = execIds.get(x.tick) ?? new Set()
    ids.add(x.id)
    execIds.set(x.tick, ids)
  }
  for (const [k, ids] of execIds)
    if (ids.size > 1) problems.push(`tick ${iso(k)} executed as runs ${[...ids]}`)
  if (scheduledLeft) problems.push(`${scheduledLeft} scheduled runs still live after the drain`)
  const at = ticks.map((t) => t.at.getTime())
  const span = at.length ? (Math.max(...at) - Math.min(...at)) / 1000 + 1 : 0
  const unrecorded = span - ticks.length
  report.check(
    'one run per cron tick',
    'each tick ≤ 1 run; each "run" tick 1 completed',
    `${ticks.length} ticks: ${outcomes.run ?? 0} run, ${outcomes.skipped ?? 0} skipped, ${outcomes.missed ?? 0} missed, ${unrecorded} unrecorded seconds; ${problems.length} problems`,
    problems.length === 0 && (outcomes.run ?? 0) > 0,
    problems,
  )
}

/** 4. Completed windows contiguous from the start; the watermark at the last one's end. */
function checkWindows(report, { db, windowStart }) {
  const done = db.history
    .filter((r) => r.job === WINDOW_JOB && r.state === 'completed')
    .sort((a, b) => a.window_from - b.window_from || a.window_to - b.window_to)
  const failed = db.history.filter((r) => r.job === WINDOW_JOB && r.state === 'failed')
  const problems = []
  let at = new Date(windowStart).getTime()
  for (const r of done) {
    const from = r.window_from.getTime()
    const to = r.window_to.getTime()
    if (from > at)
      problems.push(`gap: [${iso(at)}, ${iso(from)}) not processed (before run ${r.id})`)
    if (from < at)
      problems.push(`overlap: run ${r.id} [${iso(from)}, ${iso(to)}) starts before ${iso(at)}`)
    if (to < from) problems.push(`run ${r.id}: window ends before it starts`)
    at = Math.max(at, to)
  }
  for (const r of failed) problems.push(`window run ${r.id} failed for good`)
  const last = done.at(-1)?.window_to.getTime()
  const wm = db.watermark?.getTime()
  report.check(
    'windows contiguous',
    'no gap, no overlap',
    `${done.length} windows, ${seconds((last ?? 0) - new Date(windowStart).getTime())} covered; ${problems.length} problems`,
    problems.length === 0 && done.length > 0,
    problems,
  )
  report.check(
    'watermark = end of last window',
    last ? iso(last) : 'a window',
    wm ? iso(wm) : 'none',
    last !== undefined && wm === last,
  )
}

async function sabotageDatabase(what, runSql) {
  if (!what) return
  const s = SCHEMA
  if (what === 'lose-run')
    await runSql(
      `DELETE FROM ${s}.run_history WHERE id = (SELECT min(id) FROM ${s}.run_history WHERE job = $1)`,
      [JOB],
    )
  // a copy of a finished run under a new id: of the chaos job (a run nobody enqueued),
  // or of the cron job's latest tick (a second run for that tick)
  const copy = async (job, order) => {
    const { rows } = await runSql(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'run_history' ORDER BY ordinal_position`,
      [s],
    )
    const cols = rows.map((r) => r.column_name)
    const values = cols.map((c) => (c === 'id' ? 'id + 1000000000' : c))
    await runSql(
      `INSERT INTO ${s}.run_history (${cols.join(', ')})
       SELECT ${values.join(', ')} FROM ${s}.run_history WHERE job = $1 ORDER BY ${order} LIMIT 1`,
      [job],
    )
  }
  if (what === 'extra-run') await copy(JOB, 'id')
  if (what === 'dup-tick') await copy(CRON_JOB, 'tick DESC')
  if (what === 'window-gap')
    await runSql(
      `DELETE FROM ${s}.run_history WHERE id = (SELECT id FROM ${s}.run_history
         WHERE job = $1 AND state = 'completed' ORDER BY window_from OFFSET 3 LIMIT 1)`,
      [WINDOW_JOB],
    )
  if (what === 'watermark')
    await runSql(`UPDATE ${s}.watermarks SET value = value + interval '1 second' WHERE job = $1`, [
      WINDOW_JOB,
    ])
  log(`sabotage '${what}' applied`)
}

const iso = (t) => new Date(t).toISOString().slice(11, 23)

main().catch(async (err) => {
  console.error(err?.stack ?? err)
  await cleanupRef().catch(() => {})
  process.exit(1)
})
