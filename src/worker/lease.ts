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
    /** the runs held, each with the attempt held */
    private readonly held: () => Array<[string, number]>,
    /** the runs (and attempts) no longer held; a later attempt of one may be held by now */
    private readonly onLost: (lost: Array<[string, number]>) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)))
    this.#timer.unref()
  }

  async renew(): Promise<void> {
    const held = this.held()
    if (held.length === 0) return
    try {
      const kept = await renewLeases(this.store, this.worker, held, this.leaseMs)
      const lost = held.filter(([id, attempt]) => !kept.has(`${id}:${attempt}`))
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
