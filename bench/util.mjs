// Shared helpers of the queue benchmark: settings, statistics, formatting, admin SQL.
import { readdir, readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import pg from 'pg'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/** The Postgres every library shares; loopback only, so the bench never leaves the machine. */
export const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export function assertLoopback(url) {
  const { hostname } = new URL(url)
  if (!LOOPBACK.has(hostname))
    throw new Error(`the benchmark only talks to 127.0.0.1; refusing host '${hostname}'`)
  return url
}
assertLoopback(DATABASE_URL)

/** A quoted SQL identifier. */
export const ident = (name) => `"${String(name).replaceAll('"', '""')}"`

/** Runs `fn` with one short-lived admin client. */
export async function withClient(fn, url = DATABASE_URL) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export const dropSchema = (schema) =>
  withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`))

/** The whole-number value of option `--name` in parsed `args`; throws naming the flag. */
export function wholeNumber(args, name) {
  const n = Number(args[name])
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a whole number`)
  return n
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves when `check()` turns true (polled), or rejects after `timeoutMs`. */
export async function waitFor(
  check,
  { timeoutMs = 120_000, everyMs = 5, what = 'condition' } = {},
) {
  const until = performance.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (performance.now() > until)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return undefined
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(values, p) {
  const v = [...values].sort((a, b) => a - b)
  if (v.length === 0) return undefined
  const rank = Math.ceil((p / 100) * v.length)
  return v[Math.min(v.length, Math.max(1, rank)) - 1]
}

export function fmtInt(n) {
  return n === undefined ? '—' : Math.round(n).toLocaleString('en-US')
}

export function fmtMs(n) {
  if (n === undefined) return '—'
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)
}

export function fmtRatio(n) {
  return n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}×`
}

/** A plain-text table: `columns` are { title, align }, `rows` arrays of strings. */
export function table(columns, rows) {
  const widths = columns.map((c, i) =>
    Math.max(c.title.length, ...rows.map((r) => String(r[i] ?? '').length)),
  )
  const cell = (text, i) => {
    const s = String(text ?? '')
    return columns[i].align === 'left' ? s.padEnd(widths[i]) : s.padStart(widths[i])
  }
  const line = (cells) => `| ${cells.map(cell).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (columns[i].align === 'left' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(columns.map((c) => c.title)), rule, ...rows.map(line)].join('\n')
}

async function cpuTimes() {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]
  const t = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = t[3] + (t[4] ?? 0)
  return { idle, total: t.reduce((a, b) => a + b, 0) }
}

/** The share (0..1) of all cores busy over the next `ms`; undefined off Linux. */
export async function cpuBusy(ms = 1000) {
  try {
    const a = await cpuTimes()
    await sleep(ms)
    const b = await cpuTimes()
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total)
  } catch {
    return undefined
  }
}

/**
 * Waits, up to `maxWaitMs`, for the machine to go quiet (other processes using under
 * `threshold` of the cores), so one library's numbers are not another job's noise.
 * Returns the last share seen.
 */
export async function waitQuiet({ threshold = 0.15, maxWaitMs = 120_000, onWait } = {}) {
  const until = Date.now() + maxWaitMs
  let waited = false
  for (;;) {
    const busy = await cpuBusy(1000)
    if (busy === undefined || busy < threshold || Date.now() > until) return { busy, waited }
    if (!waited) onWait?.(busy)
    waited = true
    await sleep(2000)
  }
}

const TICKS = 100 // USER_HZ on Linux

/** CPU ticks used so far by every process, except `skip(pid, name)` ones. */
async function processTicks(skip) {
  const out = new Map()
  let pids = []
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d))
  } catch {
    return out
  }
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const name = stat.slice(stat.indexOf('(') + 1, close)
      if (skip(Number(pid), name)) continue
      const f = stat.slice(close + 2).split(' ')
      out.set(pid, Number(f[11]) + Number(f[12]))
    } catch {
      // the process ended meanwhile
    }
  }
  return out
}

/**
 * Watches the CPU that processes other than ours and the Postgres server use while
 * `fn` runs (another test suite on the same cores, say). Returns fn's result and that
 * share of all cores.
 */
export async function watchForeignCpu(fn, ours) {
  const skip = (pid, name) => ours().has(pid) || name === 'postgres'
  const before = await processTicks(skip)
  const t = performance.now()
  const value = await fn()
  const seconds = (performance.now() - t) / 1000
  const after = await processTicks(skip)
  let ticks = 0
  for (const [pid, v] of after) ticks += v - (before.get(pid) ?? 0)
  return { value, foreign: ticks / TICKS / seconds / availableParallelism() }
}
