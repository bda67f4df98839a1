import { describe, expect, it } from 'vitest'
import { ValidationError } from '../errors.js'
import { toMs } from './duration.js'

describe('toMs', () => {
  it('reads numbers and unit strings', () => {
    expect(toMs(250, 'x')).toBe(250)
    expect(toMs('5s', 'x')).toBe(5000)
    expect(toMs('1.5h', 'x')).toBe(5_400_000)
    expect(toMs('7d', 'x')).toBe(604_800_000)
    expect(toMs('500ms', 'x')).toBe(500)
  })
  it('names the field when the value is bad', () => {
    for (const bad of ['5 parsecs', '', '-1s', -5, Number.NaN]) {
      const err = (() => {
        try {
          toMs(bad, 'retry.delay')
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).issues[0]?.path).toBe('retry.delay')
    }
  })
})
