// The config module of the load run's HTTP server:
//   node dist/cli/main.js start --config reliability/load.config.mjs --no-worker --no-scheduler
// It defines the load jobs (so enqueues carry their options) and, as the parent's Fleet
// expects of a child, prints {"e":"ready"} on stdout once the server answers /healthz on
// PORT, and {"e":"mem", …} every LOAD_MEM_EVERY ms (when set).
import { Tickwork } from '../dist/index.js'
import { defineLoadJobs } from './lib/load-jobs.mjs'

const print = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`)

export default (settings) => {
  const tw = new Tickwork(settings)
  defineLoadJobs(tw)
  if (process.env.TICKWORK_COMMAND === 'start') {
    const url = `http://127.0.0.1:${process.env.PORT}/healthz`
    const poll = setInterval(async () => {
      try {
        if ((await fetch(url)).ok) {
          clearInterval(poll)
          print({ e: 'ready', pid: process.pid, role: 'server', t: Date.now() })
        }
      } catch {
        // not listening yet
      }
    }, 100)
    const every = Number(process.env.LOAD_MEM_EVERY)
    if (every > 0)
      setInterval(() => {
        const m = process.memoryUsage()
        print({ e: 'mem', t: Date.now(), rss: m.rss, heapUsed: m.heapUsed })
      }, every).unref()
  }
  return tw
}
