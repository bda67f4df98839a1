import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { TickworkError } from '../errors.js'

/** The request carried no credentials, or wrong ones. */
export class UnauthorizedError extends TickworkError {
  constructor(message: string) {
    super('UNAUTHORIZED', message)
  }
}

/** The credentials are good but do not allow this: a read token on an admin route. */
export class ForbiddenError extends TickworkError {
  constructor(message: string) {
    super('FORBIDDEN', message)
  }
}

/** The body is not JSON, though the route takes JSON. */
export class UnsupportedMediaError extends TickworkError {
  constructor(type: string) {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected a JSON body (content-type: application/json), got '${type}'`,
    )
  }
}

// The one place a code becomes a status. A code not listed is the server's fault.
const STATUS: Record<string, ContentfulStatusCode> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  LOCKED: 429,
  STATE: 503,
  SCHEMA_TOO_NEW: 503,
}

/** The HTTP status of an error code; 500 for codes that are not the client's doing. */
export const statusOf = (code: string): ContentfulStatusCode => STATUS[code] ?? 500

/**
 * The JSON answer to an error: `{ error: { code, message, details } }`. Errors that are
 * not tickwork's own are reported as INTERNAL without their message, which may hold
 * anything (a connection string, a query); the server logs them in full.
 */
export function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof TickworkError) {
    const status = statusOf(err.code)
    if (err.code === 'LOCKED') {
      const ms = (err.details as { retryAfterMs: number }).retryAfterMs
      c.header('Retry-After', String(Math.max(1, Math.ceil(ms / 1000))))
    }
    if (err.code === 'UNAUTHORIZED') c.header('WWW-Authenticate', 'Bearer')
    return c.json(
      { error: { code: err.code, message: err.message, details: err.details ?? null } },
      status,
    )
  }
  if (databaseUnavailable(err)) {
    c.header('Retry-After', '1')
    return c.json(
      {
        error: {
          code: 'UNAVAILABLE',
          message: 'the database is not answering (restarting, or unreachable): try again',
          details: null,
        },
      },
      503,
    )
  }
  return c.json(
    { error: { code: 'INTERNAL', message: 'internal error: see the server log', details: null } },
    500,
  )
}

// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown,
// restart, cannot connect now), and the driver's own words for a connection gone
const LOST = /^(08|57P0[1-3])/
const LOST_MESSAGE =
  /Connection terminated|not queryable|ECONNREFUSED|ECONNRESET|timeout exceeded when trying to connect/

/** Whether an error says the database went away, which retrying later mends. */
function databaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  if (typeof e?.code === 'string' && LOST.test(e.code)) return true
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET') return true
  return typeof e?.message === 'string' && LOST_MESSAGE.test(e.message)
}
