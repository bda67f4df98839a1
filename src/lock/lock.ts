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
 */
export interface LockBackend {
  readonly kind: 'postgres' | 'redis'
  /** Takes `name` for `owner` for `ttlMs`, unless someone else holds an unexpired lease. */
  acquire(name: string, owner: string, ttlMs: number): Promise<Acquired>
  /** Frees `name` if `owner` still holds it; false when it did not. */
  release(name: string, owner: string): Promise<boolean>
  /** Moves the expiry of `owner`'s lease to now + `ttlMs`; false when it no longer holds it. */
  extend(name: string, owner: string, ttlMs: number): Promise<boolean>
  /** The unexpired lease on `name`, if any. */
  get(name: string): Promise<LockInfo | undefined>
  /** Every unexpired lease, by name. */
  list(): Promise<LockInfo[]>
  /** Frees `name` whoever holds it (an operator's override); false when it was free. */
  clear(name: string): Promise<boolean>
  /** Closes the backend's own connections, if it has any. Idempotent. */
  close(): Promise<void>
}

/** The lock an HTTP trigger takes for a job: the key the legacy runbooks name. */
export const triggerLockName = (job: string) => `job-lock:${job}`
