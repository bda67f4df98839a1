import { TickworkError } from '../errors.js'

/** The CLI's exit codes: scripts branch on them, so they are stable. */
export const EXIT = {
  ok: 0,
  /** an unexpected error, or a run (or backfill) waited for that failed */
  failed: 1,
  /** bad usage or invalid input: a flag, a setting, a payload, the config module */
  usage: 2,
  notFound: 3,
  /** the state forbids it (retrying a run that is not failed), or a lock is held */
  conflict: 4,
  /** the database or the server did not answer */
  unreachable: 5,
  /** the server refused the token (401) or its scope (403) */
  unauthorized: 6,
} as const

/** The command was used wrongly: a flag missing, two that exclude each other. */
export class UsageError extends TickworkError {
  constructor(message: string) {
    super('USAGE', message)
  }
}

/** The database or the server could not be reached. */
export class UnreachableError extends TickworkError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNREACHABLE', message, undefined, options)
  }
}

// tickwork's codes, the HTTP API's, and the CLI's own; by code, not class, since a config
// module may bring its own copy of the error classes
const BY_CODE: Record<string, number> = {
  VALIDATION: EXIT.usage,
  USAGE: EXIT.usage,
  CONFIG: EXIT.usage,
  NOT_FOUND: EXIT.notFound,
  CONFLICT: EXIT.conflict,
  LOCKED: EXIT.conflict,
  UNREACHABLE: EXIT.unreachable,
  UNAUTHORIZED: EXIT.unauthorized,
  FORBIDDEN: EXIT.unauthorized,
}

// node's connection failures, and Postgres's classes 08 (connection) and 28 (auth),
// 3D000 (no such database), 57P03 (starting up)
const NET_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET'])
const isUnreachable = (code: string) =>
  NET_CODES.has(code) || /^(08|28)/.test(code) || code === '3D000' || code === '57P03'

/** The code an error carries, looking through `cause` and an AggregateError's first error. */
function codesOf(err: unknown): string[] {
  const out: string[] = []
  for (let e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined; e; ) {
    if (typeof e.code === 'string') out.push(e.code)
    e = (e.cause ?? e.errors?.[0]) as typeof e
    if (out.length > 5) break
  }
  return out
}

/** The exit code for an error a command threw. */
export function exitCodeOf(err: unknown): number {
  const codes = codesOf(err)
  const first = codes[0]
  if (first !== undefined && first in BY_CODE) return BY_CODE[first] as number
  if (codes.some(isUnreachable) || /timeout exceeded when trying to connect/.test(String(err)))
    return EXIT.unreachable
  return EXIT.failed
}

/** The one line (or few) the CLI prints for an error; the stack only for the unexpected. */
export function describeError(err: unknown): string {
  if (err instanceof TickworkError || exitCodeOf(err) !== EXIT.failed)
    return (err as Error).message || String(err)
  if (err instanceof Error && codesOf(err).length === 0) return err.stack ?? err.message
  return (err as Error).message ?? String(err)
}
