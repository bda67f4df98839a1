import { randomUUID } from 'node:crypto'
import type { LockBackend, LockInfo } from '../lock/lock.js'
import { type Duration, toMs } from '../util/duration.js'
import type { Emit } from '../worker/events.js'

/**
 * Named leases with a time-to-live, shared by every process on the same backend
 * (Postgres by default, Redis with the `locks` option): `tw.lock`. For singleton work
 * (a nightly export that must never run twice at once) and the trigger endpoint.
 */
export class Locks {
  constructor(
    private readonly backend: () => Promise<LockBackend>,
    private readonly emit: Emit,
  ) {}

  /**
   * Takes the lock `name` for `ttl` (default '1m'), as `owner` (default a random id):
   * the lease, or undefined while someone else holds it. Not re-entrant: the same
   * owner asking again is refused too. Throws `ValidationError` for a bad name, owner
   * or ttl.
   */
  async acquire(
    name: string,
    options: { ttl?: Duration; owner?: string } = {},
  ): Promise<LockInfo | undefined> {
    const ttlMs = toMs(options.ttl ?? '1m', 'ttl')
    const got = await (await this.backend()).acquire(name, options.owner ?? randomUUID(), ttlMs)
    if (got.acquired) return got.lock
    this.emit('lock:contended', { name, holder: got.holder })
    return undefined
  }

  /** Frees `name` if `owner` still holds it; false when it did not. */
  async release(name: string, owner: string): Promise<boolean> {
    return (await this.backend()).release(name, owner)
  }

  /** Renews `owner`'s lease on `name` for `ttl` from now; false when it no longer holds it. */
  async extend(name: string, owner: string, ttl: Duration): Promise<boolean> {
    return (await this.backend()).extend(name, owner, toMs(ttl, 'ttl'))
  }

  /** The lease on `name`, if one is held. */
  async get(name: string): Promise<LockInfo | undefined> {
    return (await this.backend()).get(name)
  }

  /** Every lease held now. */
  async list(): Promise<LockInfo[]> {
    return (await this.backend()).list()
  }

  /** Frees `name` whoever holds it: an operator's override. False when it was free. */
  async clear(name: string): Promise<boolean> {
    return (await this.backend()).clear(name)
  }
}
