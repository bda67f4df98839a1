import { describe, expect, it } from 'vitest'
import { ValidationError } from '../errors.js'
import { resolveJob } from './resolve.js'

const run = () => {}

describe('resolveJob', () => {
  it('lets a monthly job catch up over more than a month, and names a window past a year', () => {
    const monthly = resolveJob('monthly', {
      run,
      schedule: {
        cron: '1 0 1 * *',
        catchUp: 'all',
        catchUpWindow: '40d',
        startingDeadline: '35d',
      },
    })
    expect(monthly.schedule?.catchUpWindowMs).toBe(40 * 86_400_000)
    expect(monthly.schedule?.startingDeadlineMs).toBe(35 * 86_400_000)
    let err: unknown
    try {
      resolveJob('monthly', { run, schedule: { cron: '1 0 1 * *', catchUpWindow: '400d' } })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).issues).toEqual([
      expect.objectContaining({
        path: 'schedule.catchUpWindow',
        message: expect.stringContaining('366 days'),
      }),
    ])
  })
})
