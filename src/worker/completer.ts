import { type Completion, completeRuns } from '../queue/complete.js'
import type { QueueStore } from '../queue/store.js'

/**
 * Gathers completions and writes them many to a statement: all that finish within
 * the same turn of the event loop, or while the previous write is in flight, share
 * one round trip. Under load that is hundreds a statement; idle, one write per run
 * with no added wait.
 */
export class Completer<T extends Completion> {
  #buffer: T[] = []
  #flushing: Promise<void> | undefined
  #scheduled = false
  #retryMs = 0
  #closing = false

  /**
   * `onError` hears of each failed write; the batch is kept and written again, with a
   * growing pause, while the worker goes on renewing those runs' leases. Only once
   * closing does a failed write give its batch up to `onAbandon`: those runs' leases
   * then lapse and they run again elsewhere, which at-least-once allows.
   */
  constructor(
    private readonly store: QueueStore,
    private readonly worker: string,
    private readonly onWritten: (done: T[], written: Set<string>) => void,
    private readonly onError: (err: Error) => void,
    private readonly onAbandon: (lost: T[]) => void,
  ) {}

  add(done: T): void {
    this.#buffer.push(done)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      void this.#flush()
    })
  }

  #flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => {
      this.#flushing = undefined
      if (this.#buffer.length > 0) void this.#flush()
    })
    return this.#flushing
  }

  async #write(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, 1000)
      try {
        this.onWritten(batch, await completeRuns(this.store, this.worker, batch))
        this.#retryMs = 0
      } catch (err) {
        this.onError(err as Error)
        this.#buffer.unshift(...batch)
        if (this.#closing) {
          this.onAbandon(this.#buffer.splice(0))
          return
        }
        this.#retryMs = Math.min(5000, this.#retryMs ? this.#retryMs * 2 : 100)
        await new Promise((r) => setTimeout(r, this.#retryMs))
      }
    }
  }

  /** Writes whatever is buffered, trying once more after a failure; resolves when done. */
  async drain(): Promise<void> {
    this.#closing = true
    while (this.#flushing || this.#buffer.length > 0) await this.#flush()
  }
}
