import { describe, expect, it } from 'vitest'
import { compileCron } from './cron.js'
import { type CatchUpPolicy, LATE_MS, PASS_LIMIT, planTicks } from './plan.js'

const hourly = compileCron('0 * * * *', 'UTC')
const secondly = compileCron('* * * * * *', 'UTC')
const at = (iso: string) => new Date(iso)
const iso = (ds: Date[]) => ds.map((d) => d.toISOString())
const policy = (p: Partial<CatchUpPolicy>): CatchUpPolicy => ({
  catchUp: 'latest',
  catchUpWindowMs: 86_400_000,
  startingDeadlineMs: null,
  ...p,
})

describe('planTicks', () => {
  // five hours down: ticks 01:00..05:00 are due at 05:00:01
  const nextAt = at('2026-01-01T01:00:00Z')
  const now = at('2026-01-01T05:00:01Z').getTime()

  it('runs an on-time tick under every policy', () => {
    for (const catchUp of ['latest', 'all', 'none'] as const) {
      const p = planTicks(hourly, at('2026-01-01T05:00:00Z'), now, policy({ catchUp }))
      expect(iso(p.run)).toEqual(['2026-01-01T05:00:00.000Z'])
      expect(p.next?.toISOString()).toBe('2026-01-01T06:00:00.000Z')
    }
  })

  it("'latest' runs the most recent due tick and records the rest as missed", () => {
    const late = at('2026-01-01T05:30:00Z').getTime()
    const p = planTicks(hourly, nextAt, late, policy({ catchUp: 'latest' }))
    expect(iso(p.run)).toEqual(['2026-01-01T05:00:00.000Z'])
    expect(p.missed).toHaveLength(4)
  })

  it("'all' runs every missed tick within the window, oldest first", () => {
    const p = planTicks(
      hourly,
      nextAt,
      now,
      policy({ catchUp: 'all', catchUpWindowMs: 2.5 * 3_600_000 }),
    )
    expect(iso(p.run)).toEqual([
      '2026-01-01T03:00:00.000Z',
      '2026-01-01T04:00:00.000Z',
      '2026-01-01T05:00:00.000Z',
    ])
    expect(iso(p.missed)).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z'])
  })

  it("'none' runs only what is on time", () => {
    const p = planTicks(hourly, nextAt, now + LATE_MS, policy({ catchUp: 'none' }))
    expect(p.run).toEqual([])
    expect(p.missed).toHaveLength(5)
    expect(p.next?.toISOString()).toBe('2026-01-01T06:00:00.000Z')
  })

  it('startingDeadline makes a tick handled too late missed', () => {
    const p = planTicks(hourly, nextAt, now, policy({ catchUp: 'all', startingDeadlineMs: 500 }))
    expect(p.run).toEqual([])
    const q = planTicks(hourly, nextAt, now, policy({ catchUp: 'all', startingDeadlineMs: 2000 }))
    expect(iso(q.run)).toEqual(['2026-01-01T05:00:00.000Z'])
  })

  it('bounds a pass after a long downtime and jumps to what may still run', () => {
    // a one-second schedule down for a day
    const from = at('2026-01-01T00:00:00Z')
    const day = from.getTime() + 86_400_000
    const p = planTicks(secondly, from, day, policy({ catchUp: 'latest' }))
    expect(p.missed.length + p.run.length).toBe(PASS_LIMIT)
    expect(p.more).toBe(true)
    expect(p.next?.getTime()).toBe(day - LATE_MS)
    // the next pass runs the on-time seconds and nothing older
    const q = planTicks(secondly, p.next as Date, day, policy({ catchUp: 'latest' }))
    expect(q.run).toHaveLength(LATE_MS / 1000 + 1)
    expect(q.missed).toEqual([])
    expect(q.next?.getTime()).toBe(day + 1000)
  })

  it('nothing is due before nextAt', () => {
    const p = planTicks(hourly, at('2026-01-01T06:00:00Z'), now, policy({}))
    expect(p).toEqual({ run: [], missed: [], next: at('2026-01-01T06:00:00Z'), more: false })
  })
})
