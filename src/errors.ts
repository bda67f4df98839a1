/** One problem found in an input: where (a path of keys) and what is wrong. */
export interface Issue {
  path: string
  message: string
}

/**
 * The root of tickwork's errors. `code` is stable across versions: match on it, not on
 * the message. The HTTP layer maps each code to a status in one place.
 */
export class TickworkError extends Error {
  readonly code: string
  readonly details: unknown

  constructor(code: string, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

/** Bad input: a payload, an option, a duration. `issues` names each field and what is wrong. */
export class ValidationError extends TickworkError {
  readonly issues: Issue[]

  constructor(message: string, issues: Issue[] = []) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
    super('VALIDATION', detail ? `${message}: ${detail}` : message, { issues })
    this.issues = issues
  }
}

/** The thing asked for (a job, a run) does not exist. */
export class NotFoundError extends TickworkError {
  constructor(message: string, details?: unknown) {
    super('NOT_FOUND', message, details)
  }
}

/** The request clashes with the current state: retrying a run that is not failed, say. */
export class ConflictError extends TickworkError {
  constructor(message: string, details?: unknown) {
    super('CONFLICT', message, details)
  }
}

/**
 * Throw from a handler to fail the run at once, without the retries that are left.
 * @example throw new PermanentError('credential revoked')
 */
export class PermanentError extends TickworkError {
  constructor(message: string, options?: ErrorOptions) {
    super('PERMANENT', message, undefined, options)
  }
}

/** The handler ran past its job's `timeout`; the attempt fails and may be retried. */
export class TimeoutError extends TickworkError {
  constructor(ms: number) {
    super('TIMEOUT', `run timed out after ${ms} ms`, { timeoutMs: ms })
  }
}

/** The database holds a schema version newer than this code knows: upgrade tickwork. */
export class SchemaVersionError extends TickworkError {
  constructor(database: number, code: number) {
    super(
      'SCHEMA_TOO_NEW',
      `database schema is at version ${database}, but this tickwork knows only up to ${code}: upgrade tickwork before starting it against this database`,
      { database, code },
    )
  }
}

/** The operation needs a started or open instance, or was called after `stop()`. */
export class StateError extends TickworkError {
  constructor(message: string) {
    super('STATE', message)
  }
}

/**
 * A lock is held by someone else: a trigger while the job's previous triggered run is
 * unfinished. `retryAfterMs` is when its lease lapses at the latest.
 */
export class LockedError extends TickworkError {
  readonly retryAfterMs: number
  /** the lease that refused: its owner and when it lapses */
  readonly holder: { owner: string; expiresAt: Date }

  constructor(name: string, holder: { owner: string; expiresAt: Date }, now: number) {
    const retryAfterMs = Math.max(0, holder.expiresAt.getTime() - now)
    super(
      'LOCKED',
      `'${name}' is held by ${holder.owner} until ${holder.expiresAt.toISOString()}`,
      {
        name,
        owner: holder.owner,
        expiresAt: holder.expiresAt.toISOString(),
        retryAfterMs,
      },
    )
    this.retryAfterMs = retryAfterMs
    this.holder = { owner: holder.owner, expiresAt: holder.expiresAt }
  }
}
