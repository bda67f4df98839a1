import { PermanentError, TimeoutError, ValidationError } from '../errors.js'

/**
 * Whether a failed attempt may be retried. `PermanentError` never is; then the job's
 * own `isRetryable` decides; without one, programming errors (`TypeError`,
 * `SyntaxError`) and bad input (`ValidationError`) fail at once, since running them
 * again gives the same answer. Timeouts are retried.
 */
export function isRetryable(err: unknown, custom?: (err: unknown) => boolean): boolean {
  if (err instanceof PermanentError) return false
  if (custom) return custom(err)
  if (err instanceof TimeoutError) return true
  return !(err instanceof TypeError || err instanceof SyntaxError || err instanceof ValidationError)
}
