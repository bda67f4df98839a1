// Command-line values shared by the reliability runs (chaos, load, soak): durations such
// as '60s', counts, and a seeded pseudo-random generator, so a run can be repeated.
import { parseArgs } from 'node:util'

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Milliseconds from '500ms', '3s', '2m', '1h' or a bare number of milliseconds; throws naming the flag. */
export function duration(value, flag) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(value).trim())
  if (!m)
    throw new UsageError(`--${flag}: expected a duration such as 500ms, 3s or 2m, got '${value}'`)
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms'])
}

/** A whole number at least `min`; throws naming the flag. */
export function count(value, flag, min = 0) {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${flag}: expected a whole number ≥ ${min}, got '${value}'`)
  return n
}

/** A bad flag: the caller prints the message and exits 2. */
export class UsageError extends Error {}

/**
 * The flags of `spec` (and -h/--help) read by `build(values)`, which throws UsageError on
 * a bad value. Help exits 0 and a bad or unknown flag exits 2 with the usage, as callers
 * (npm scripts, CI) expect of a command; any other error is a bug and is thrown.
 */
export function readOptions(help, spec, build) {
  try {
    const { values } = parseArgs({ options: { ...spec, help: { type: 'boolean', short: 'h' } } })
    if (values.help) {
      console.log(help)
      process.exit(0)
    }
    return build(values)
  } catch (err) {
    if (!(err instanceof UsageError) && err?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw err
    console.error(`${err.message}\n\n${help}`)
    process.exit(2)
  }
}

/** mulberry32: a small seeded PRNG; `next()` in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
  }
}

/** '12.3 s' from milliseconds. */
export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
