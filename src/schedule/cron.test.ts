import { describe, expect, it } from 'vitest'
import { ValidationError } from '../errors.js'
import { compileCron, nextFireTimes, nextTicks } from './cron.js'

/** The fire times in [from, to), as ISO strings. */
function fires(cron: string, timezone: string, from: string, to: string): string[] {
  const c = compileCron(cron, timezone)
  const out: string[] = []
  for (let t = c.next(new Date(new Date(from).getTime() - 1)); t && t < new Date(to); t = c.next(t))
    out.push(t.toISOString())
  return out
}

describe('DST, by the Vixie cron rule', () => {
  it('America/New_York: 02:30 runs once on spring-forward day, right after the jump', () => {
    // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00Z)
    expect(
      fires('30 2 * * *', 'America/New_York', '2026-03-07T00:00Z', '2026-03-10T00:00Z'),
    ).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'])
  })

  it('America/New_York: 01:30 runs once on fall-back day, at its first occurrence', () => {
    expect(
      fires('30 1 * * *', 'America/New_York', '2026-10-31T00:00Z', '2026-11-03T00:00Z'),
    ).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'])
  })

  it('America/New_York: an hourly job runs 23 times on spring-forward day, 25 on fall-back day', () => {
    // local midnight to local midnight
    expect(
      fires('0 * * * *', 'America/New_York', '2026-03-08T05:00Z', '2026-03-09T04:00Z'),
    ).toHaveLength(23)
    expect(
      fires('0 * * * *', 'America/New_York', '2026-11-01T04:00Z', '2026-11-02T05:00Z'),
    ).toHaveLength(25)
    expect(
      fires('0 * * * *', 'America/New_York', '2026-03-09T04:00Z', '2026-03-10T04:00Z'),
    ).toHaveLength(24)
  })

  it('Europe/London: 01:30 once on both change days', () => {
    // 2026-03-29 01:00 GMT jumps to 02:00 BST; 2026-10-25 02:00 BST falls back to 01:00 GMT
    expect(fires('30 1 * * *', 'Europe/London', '2026-03-29T00:00Z', '2026-03-30T00:00Z')).toEqual([
      '2026-03-29T01:00:00.000Z',
    ])
    expect(fires('30 1 * * *', 'Europe/London', '2026-10-25T00:00Z', '2026-10-26T00:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z',
    ])
    expect(
      fires('0 * * * *', 'Europe/London', '2026-03-29T00:00Z', '2026-03-29T23:00Z'),
    ).toHaveLength(23)
    expect(
      fires('0 * * * *', 'Europe/London', '2026-10-24T23:00Z', '2026-10-26T00:00Z'),
    ).toHaveLength(25)
  })

  it('Australia/Lord_Howe: the 30-minute shift', () => {
    // 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11): that day 02:15 runs at 02:30
    // (15:30Z the day before); the next day at 02:15 +11
    expect(
      fires('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00Z', '2026-10-05T00:00Z'),
    ).toEqual(['2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'])
    // 2026-04-05 02:00 (+11) falls back to 01:30 (+10:30): 01:45 occurs twice and runs
    // once, at +11 (14:45Z the day before); the next day at +10:30
    expect(
      fires('45 1 * * *', 'Australia/Lord_Howe', '2026-04-04T00:00Z', '2026-04-06T00:00Z'),
    ).toEqual(['2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z'])
    // every 30 minutes: the repeated half hour runs twice, so 49 runs that day
    expect(
      fires('*/30 * * * *', 'Australia/Lord_Howe', '2026-04-04T13:00Z', '2026-04-05T13:30Z'),
    ).toHaveLength(49)
  })

  it('Asia/Kolkata (no DST): 24 hourly runs and 05:30 offset every day', () => {
    expect(
      fires('0 * * * *', 'Asia/Kolkata', '2026-03-08T00:00Z', '2026-03-09T00:00Z'),
    ).toHaveLength(24)
    expect(fires('0 9 * * *', 'Asia/Kolkata', '2026-03-08T00:00Z', '2026-03-10T00:00Z')).toEqual([
      '2026-03-08T03:30:00.000Z',
      '2026-03-09T03:30:00.000Z',
    ])
  })
})

describe('expressions', () => {
  it('takes a seconds field, nicknames, and defaults nothing about the zone', () => {
    const from = new Date('2026-01-01T05:00:00.500Z')
    expect(
      nextTicks(compileCron('* * * * * *', 'UTC'), from, 2).map((d) => d.toISOString()),
    ).toEqual(['2026-01-01T05:00:01.000Z', '2026-01-01T05:00:02.000Z'])
    expect(compileCron('@daily', 'UTC').next(from)?.toISOString()).toBe('2026-01-02T00:00:00.000Z')
    expect(compileCron('@hourly', 'UTC').next(from)?.toISOString()).toBe('2026-01-01T06:00:00.000Z')
  })

  it('finds the last fire time at or before a moment', () => {
    const c = compileCron('0 * * * *', 'UTC')
    expect(c.prev(new Date('2026-01-01T05:00:00.000Z'))?.toISOString()).toBe(
      '2026-01-01T05:00:00.000Z',
    )
    expect(c.prev(new Date('2026-01-01T05:59:59.999Z'))?.toISOString()).toBe(
      '2026-01-01T05:00:00.000Z',
    )
  })

  it.each([
    ['61 * * * *', 'UTC', 'schedule.cron', /minute/],
    ['* * *', 'UTC', 'schedule.cron', /expected 5 fields/],
    ['* * * * * * * *', 'UTC', 'schedule.cron', /expected 5 fields/],
    ['0 0 31 2 *', 'UTC', 'schedule.cron', /never fires/],
    ['@sometimes', 'UTC', 'schedule.cron', /./],
    ['* * * * *', 'Mars/Olympus', 'schedule.timezone', /IANA time zone/],
    [42, 'UTC', 'schedule.cron', /expected a string/],
  ])('refuses %j in %s, naming %s', (cron, zone, path, message) => {
    const err = (() => {
      try {
        compileCron(cron, zone)
      } catch (e) {
        return e
      }
    })() as ValidationError
    expect(err).toBeInstanceOf(ValidationError)
    expect(err.issues[0]?.path).toBe(path)
    expect(err.issues[0]?.message).toMatch(message)
  })
})

describe('nextFireTimes', () => {
  it('gives the next fire times in a zone, and names the bad field', () => {
    const after = new Date('2026-11-30T23:30:00Z')
    expect(nextFireTimes('0 */2 * * *', { after, count: 2 }).map((d) => d.toISOString())).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2026-12-01T02:00:00.000Z',
    ])
    expect(
      nextFireTimes('0 9 * * *', { after, timezone: 'Asia/Kolkata', count: 1 })[0]?.toISOString(),
    ).toBe('2026-12-01T03:30:00.000Z')
    const issue = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError)
        return (err as ValidationError).issues[0]?.path
      }
      throw new Error('expected a ValidationError')
    }
    expect(issue(() => nextFireTimes('61 * * * *'))).toBe('cron')
    expect(issue(() => nextFireTimes('* * *'))).toBe('cron')
    expect(issue(() => nextFireTimes('0 0 30 2 *'))).toBe('cron')
    expect(issue(() => nextFireTimes('0 * * * *', { timezone: 'Mars/Olympus' }))).toBe('timezone')
    expect(issue(() => nextFireTimes('0 * * * *', { count: 0 }))).toBe('count')
    expect(issue(() => nextFireTimes('0 * * * *', { after: new Date('nope') }))).toBe('after')
    expect(issue(() => nextFireTimes('0 * * * *', { after: 'soon' as never }))).toBe('after')
  })
})
