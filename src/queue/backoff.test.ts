import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff.js'

describe('backoffDelay', () => {
  const exp = { type: 'exponential', delayMs: 5000, maxDelayMs: 60_000, jitter: 0 } as const
  it('doubles from the delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(exp, a))).toEqual([
      5000, 10_000, 20_000, 40_000, 60_000,
    ])
  })
  it('waits the same with fixed backoff', () => {
    expect(backoffDelay({ ...exp, type: 'fixed' }, 4)).toBe(5000)
  })
  it('takes at most the jitter share off the wait', () => {
    expect(backoffDelay({ ...exp, jitter: 0.5 }, 1, () => 1)).toBe(2500)
    expect(backoffDelay({ ...exp, jitter: 0.5 }, 1, () => 0)).toBe(5000)
  })
})
