import { createHash, timingSafeEqual } from 'node:crypto'
import { ForbiddenError, UnauthorizedError } from './errors.js'

/** What a route needs: anyone, a read token (or admin), or an admin token. */
export type Scope = 'public' | 'read' | 'admin' | 'cron'

// Hashing first makes every comparison the same length, so neither the token's
// content nor its length leaks through timing.
const digest = (s: string) => createHash('sha256').update(s).digest()

/** True when `given` equals one of `secrets`; every secret is compared, in constant time. */
export function matchesAny(given: string, secrets: readonly string[]): boolean {
  const g = digest(given)
  let found = false
  for (const s of secrets) found = timingSafeEqual(g, digest(s)) || found
  return found
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return m?.[1]
}

/** Checks a request's bearer token against the scope a route needs. Throws 401/403 errors. */
export function authorize(
  scope: Scope,
  token: string | undefined,
  tokens: { admin: readonly string[]; read: readonly string[] },
): void {
  if (scope === 'public') return
  if (tokens.admin.length === 0 && tokens.read.length === 0)
    throw new UnauthorizedError('no API token is configured on the server: set TICKWORK_API_TOKEN')
  if (!token) throw new UnauthorizedError('missing bearer token (Authorization: Bearer <token>)')
  if (matchesAny(token, tokens.admin)) return
  if (matchesAny(token, tokens.read)) {
    if (scope === 'read') return
    throw new ForbiddenError('this token may read, not act: the route needs an admin token')
  }
  throw new UnauthorizedError('invalid bearer token')
}
