import type { Backoff } from './types.js'

/**
 * How long to wait after failed attempt number `attempt` (1-based): `fixed` waits
 * `delayMs` each time, `exponential` doubles it each attempt; both capped at
 * `maxDelayMs`. With `jitter` j, a random share of up to j is taken off the delay so
 * that runs failing together do not all retry together.
 */
export function backoffDelay(backoff: Backoff, attempt: number, random = Math.random): number {
  const base =
    backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** Math.max(0, attempt - 1)
  const capped = Math.min(base, backoff.maxDelayMs)
  return Math.round(capped * (1 - backoff.jitter * random()))
}
