import { PermanentError, TickworkError, TimeoutError, ValidationError } from '../errors.js'

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

/**
 * The stored form of a handler's result, or the error that fails the attempt when it
 * has none: serialised here, so one bad result cannot sink a whole batch's write.
 */
export function toJson(value: unknown): string | null | Error {
  if (value === undefined) return null
  try {
    const json = JSON.stringify(value)
    if (json === undefined) return null
    // Postgres's jsonb refuses the NUL character
    if (!json.includes('\\u0000')) return json
  } catch {}
  return new PermanentError(
    'the handler returned a result that cannot be stored as JSON (a BigInt, a cycle or a NUL character)',
  )
}

/** The run was handed back because the worker is stopping; it will run again elsewhere. */
export class ShutdownError extends TickworkError {
  constructor() {
    super('SHUTDOWN', 'worker stopped before the run finished; the run was released for retry')
  }
}

/** The run was cancelled, or its lease lost, while the handler ran. */
export class RunLostError extends TickworkError {
  constructor(why: string) {
    super('RUN_LOST', why)
  }
}
