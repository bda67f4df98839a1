import { renewLeases } from '../queue/lease.js'
import type { QueueStore } from '../queue/store.js'

/**
 * Renews the leases of the runs a worker holds, three times per lease, so that a
 * worker that stops answering loses its runs within one lease time and nothing
 * sooner. Runs found no longer held are reported to `onLost`.
 */
export class LeaseKeeper {
  #timer: NodeJS.Timeout | undefined

  constructor(
    private readonly store: QueueStore,
    private readonly worker: string,
    private readonly leaseMs: number,
    private readonly held: () => string[],
    private readonly onLost: (ids: string[]) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)))
    this.#timer.unref()
  }

  async renew(): Promise<void> {
    const ids = this.held()
    if (ids.length === 0) return
    try {
      const kept = await renewLeases(this.store, this.worker, ids, this.leaseMs)
      const lost = ids.filter((id) => !kept.has(id))
      if (lost.length > 0) this.onLost(lost)
    } catch (err) {
      this.onError(err as Error)
    }
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
