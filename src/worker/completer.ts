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

  constructor(
    private readonly store: QueueStore,
    private readonly worker: string,
    private readonly onWritten: (done: T[], written: Set<string>) => void,
    private readonly onError: (err: Error, lost: T[]) => void,
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
      } catch (err) {
        this.onError(err as Error, batch)
      }
    }
  }

  /** Writes whatever is buffered; resolves once written. */
  async drain(): Promise<void> {
    while (this.#flushing || this.#buffer.length > 0) await this.#flush()
  }
}
