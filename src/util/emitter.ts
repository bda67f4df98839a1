import { EventEmitter } from 'node:events'

/** A Node EventEmitter whose event names and listener arguments come from `Events`. */
export class TypedEmitter<Events extends object> {
  readonly #ee = new EventEmitter()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events & string>(event: K, listener: (data: Events[K]) => void): () => void {
    this.#ee.on(event, listener)
    return () => this.#ee.off(event, listener)
  }

  /** Adds a listener called once, then removed. */
  once<K extends keyof Events & string>(event: K, listener: (data: Events[K]) => void): void {
    this.#ee.once(event, listener)
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof Events & string>(event: K, listener: (data: Events[K]) => void): void {
    this.#ee.off(event, listener)
  }

  protected emit<K extends keyof Events & string>(event: K, data: Events[K]): void {
    // an 'error' with no listener would throw out of the worker loop; report it instead
    if (event === 'error' && this.#ee.listenerCount('error') === 0) {
      process.emitWarning(data instanceof Error ? data : String(data), 'TickworkWarning')
      return
    }
    this.#ee.emit(event, data)
  }
}
