import { type Issue, ValidationError } from '../errors.js'
import type { Queryable } from '../store/db.js'

/** A named lease as a lock backend reports it. */
export interface LockInfo {
  name: string
  /** who holds it: for a trigger's lock, the id of the run it started */
  owner: string
  expiresAt: Date
}

/** What `acquire` answers: the lease taken, or who holds it. */
export type Acquired = { acquired: true; lock: LockInfo } | { acquired: false; holder: LockInfo }

/**
 * Named leases with a time-to-live, for singleton work and HTTP triggers. Two backends
 * implement it, Postgres (the default) and Redis, and both pass one conformance suite.
 * A lease lapses by itself at `expiresAt`, so a holder that dies frees it in time.
 * Leases are not re-entrant: an owner acquiring a name it already holds is refused (with
 * itself as the holder), so a trigger fired twice under one id still runs once; it
 * calls `extend` to keep a lease longer. Every method throws `ValidationError` on an
 * empty name or owner or a ttl that is not a whole number of milliseconds above 0.
 */
export interface LockBackend {
  readonly kind: 'postgres' | 'redis'
  /**
   * Takes `name` for `owner` for `ttlMs`, unless someone else holds an unexpired lease.
   * `tx`: a transaction of the store the Postgres backend lives in, to take the lease
   * with what that transaction writes (and lose it if it rolls back); Redis ignores it.
   */
  acquire(name: string, owner: string, ttlMs: number, tx?: Queryable): Promise<Acquired>
  /** Frees `name` if `owner` still holds it; false when it did not. `tx` as for acquire. */
  release(name: string, owner: string, tx?: Queryable): Promise<boolean>
  /** Moves the expiry of `owner`'s lease to now + `ttlMs`; false when it no longer holds it. */
  extend(name: string, owner: string, ttlMs: number): Promise<boolean>
  /** The unexpired lease on `name`, if any. `tx` as for acquire. */
  get(name: string, tx?: Queryable): Promise<LockInfo | undefined>
  /** Every unexpired lease, by name. */
  list(): Promise<LockInfo[]>
  /** Frees `name` whoever holds it (an operator's override); false when it was free. */
  clear(name: string): Promise<boolean>
  /** Closes the backend's own connections, if it has any. Idempotent. */
  close(): Promise<void>
}

/** The lock an HTTP trigger takes for a job: the key the legacy runbooks name. */
export const triggerLockName = (job: string) => `job-lock:${job}`

/**
 * The owner a trigger's lock records: the schema and the run, so a legacy holder, or
 * another schema's run, never reads as one of this schema's runs. (Two databases with
 * the same schema name on one Redis share the keys, as the legacy key names do.)
 */
export const triggerOwner = (schema: string, runId: string) => `tickwork:${schema}:run:${runId}`

/** The run id of a trigger lock's owner, if the owner is one of `schema`'s runs. */
export function runOfOwner(schema: string, owner: string): string | undefined {
  const prefix = `tickwork:${schema}:run:`
  if (!owner.startsWith(prefix)) return undefined
  const id = owner.slice(prefix.length)
  return /^\d{1,19}$/.test(id) ? id : undefined
}

/**
 * Checks the arguments of a lock call: `name` and `owner` non-empty, `ttlMs` a whole
 * number of milliseconds above 0; only the fields given are checked. Throws
 * `ValidationError` listing every bad field.
 */
export function checkLockArgs(args: { name: string; owner?: string; ttlMs?: number }): void {
  const issues: Issue[] = []
  const text = (path: string, value: unknown) => {
    if (typeof value !== 'string' || value === '')
      issues.push({ path, message: `expected a non-empty string, got ${JSON.stringify(value)}` })
    // the Postgres backend stores it as text, which cannot hold one
    else if (value.includes('\0')) issues.push({ path, message: 'cannot hold a NUL character' })
  }
  text('name', args.name)
  if ('owner' in args) text('owner', args.owner)
  if ('ttlMs' in args && !(Number.isSafeInteger(args.ttlMs) && (args.ttlMs ?? 0) > 0))
    issues.push({
      path: 'ttl',
      message: `expected a whole number of milliseconds above 0, got ${String(args.ttlMs)}`,
    })
  if (issues.length > 0) throw new ValidationError('invalid lock', issues)
}
