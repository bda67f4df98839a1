// One process of a reliability run: a Tickwork from the built library (dist/), in the
// role it is given, with the jobs of a jobs module (./jobs.mjs unless `jobs` says
// otherwise; it exports defineJobs(tw, options)). It prints JSON lines on stdout, which
// the parent (lib/processes.mjs) collects:
//   {"e":"ready"}                       started
//   {"e":"start"|"end", id, job, a, …}  the jobs' ledger: one pair per execution
//   {"e":"done"|"retry"|"failed"|"stalled", id, job, a}   outcomes this process wrote
//   {"e":"tick", job, tick, id}         a schedule tick this process enqueued
//   {"e":"error", m}                    a background error (lost connection…)
//   {"e":"mem", rss, heapUsed, …}       process.memoryUsage(), every `memEvery` ms
//   {"e":"stopped"}                     after a graceful stop (SIGTERM)
// Writes to a pipe are synchronous on Linux, so a line printed before a SIGKILL is
// not lost.
//
// usage: node reliability/lib/child.mjs '<JSON config>'
//   { database, schema, role: 'worker' | 'scheduler' | 'all', maintenance (default true),
//     leaseMs, pollMs, poolSize, maintenanceMs (maintenanceInterval), graceMs, memEvery,
//     jobs (module path), jobOptions }
import { pathToFileURL } from 'node:url'
import { Tickwork } from '../../dist/index.js'

const cfg = JSON.parse(process.argv[2] ?? '{}')
const print = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`)
const fatal = (err, origin = 'error') => {
  const about = err?.code ? ` (code ${err.code}${err.severity ? `, ${err.severity}` : ''})` : ''
  print({ e: 'fatal', origin, m: `${origin}${about}: ${String(err?.stack ?? err)}` })
  process.exit(1)
}
process.on('uncaughtException', (err, origin) => fatal(err, origin))
process.on('unhandledRejection', (err) => fatal(err, 'unhandledRejection'))

const tw = new Tickwork({
  database: cfg.database,
  schema: cfg.schema,
  logger: false,
  leaseTime: cfg.leaseMs ?? 5000,
  pollInterval: cfg.pollMs ?? 200,
  ...(cfg.poolSize ? { poolSize: cfg.poolSize } : {}),
  ...(cfg.maintenanceMs ? { maintenanceInterval: cfg.maintenanceMs } : {}),
})
tw.on('error', (err) =>
  print({ e: 'error', t: Date.now(), m: String(err?.message ?? err).slice(0, 200) }),
)
tw.on('run:completed', (r) =>
  print({ e: 'done', id: r.id, job: r.job, a: r.attempt, t: Date.now() }),
)
tw.on('run:retrying', (r) =>
  print({ e: 'retry', id: r.id, job: r.job, a: r.attempt, t: Date.now() }),
)
tw.on('run:failed', (r) =>
  print({ e: 'failed', id: r.id, job: r.job, a: r.attempt, t: Date.now() }),
)
tw.on('run:stalled', (r) =>
  print({ e: 'stalled', id: r.id, job: r.job, a: r.attempt, t: Date.now() }),
)
tw.on('schedule:run', (r) =>
  print({ e: 'tick', job: r.job, tick: r.tick.getTime(), id: r.runId, t: Date.now() }),
)
tw.on('schedule:missed', (r) => print({ e: 'missed', job: r.job, n: r.ticks.length, more: r.more }))

const jobsModule = cfg.jobs
  ? await import(pathToFileURL(cfg.jobs).href)
  : await import('./jobs.mjs')
jobsModule.defineJobs(tw, { ...cfg.jobOptions, ledger: print })

if (cfg.memEvery) {
  setInterval(() => {
    const m = process.memoryUsage()
    print({
      e: 'mem',
      t: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
    })
  }, cfg.memEvery).unref()
}

let stopping = false
process.on('SIGTERM', async () => {
  // a self-test of the parent's check that every process stops gracefully
  if (cfg.jobOptions?.sabotage === 'hang-stop') return
  if (stopping) return
  stopping = true
  try {
    await tw.stop({ grace: cfg.graceMs ?? 10_000 })
    print({ e: 'stopped', t: Date.now() })
    process.exit(0)
  } catch (err) {
    fatal(err)
  }
})

const role = cfg.role ?? 'all'
await tw.start({
  worker: role !== 'scheduler',
  scheduler: role !== 'worker',
  maintenance: cfg.maintenance ?? true,
})
print({ e: 'ready', pid: process.pid, role, t: Date.now() })
