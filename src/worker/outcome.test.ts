import { describe, expect, it } from 'vitest'
import { PermanentError, TimeoutError, ValidationError } from '../errors.js'
import { isRetryable } from './outcome.js'

describe('isRetryable', () => {
  it('fails programming errors and bad input at once, retries the rest', () => {
    expect(isRetryable(new Error('503'))).toBe(true)
    expect(isRetryable(new TimeoutError(5))).toBe(true)
    expect(isRetryable(new TypeError('x is undefined'))).toBe(false)
    expect(isRetryable(new SyntaxError('bad json'))).toBe(false)
    expect(isRetryable(new ValidationError('bad'))).toBe(false)
    expect(isRetryable('a thrown string')).toBe(true)
  })
  it('lets the job decide, except for PermanentError', () => {
    expect(isRetryable(new TypeError('x'), () => true)).toBe(true)
    expect(isRetryable(new Error('x'), () => false)).toBe(false)
    expect(isRetryable(new PermanentError('x'), () => true)).toBe(false)
  })
})
