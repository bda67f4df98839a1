import type { ResolvedJob } from '../client/resolve.js'
import { sweepItems } from '../items/query.js'
import type { NewRun } from '../queue/enqueue.js'
import type { QueueStore } from '../queue/store.js'
import { sweepTicks } from '../schedule/retention.js'
import type { Emit } from '../worker/events.js'
import { claimChore } from './chore.js'
import { type Retention, sweepRetention } from './retention.js'
import { sweepStalled } from './stalled.js'

export interface MaintenanceDeps {
  store: QueueStore
  emit: Emit
  leaseMs: number
  retentionMs: number
  retention: () => Map<string, Retention>
  fallback: Retention
  deadLetterRun(job: string): Omit<NewRun, 'payload'>
  /** the definition of a job in this process, for its `onFailed` */
  defined(job: string): ResolvedJob | undefined
  /** the jobs this process defines */
  names(): string[]
}

/**
 * The periodic chores: the stalled-run sweep (every half lease) and retention (every
 * `retentionMs`); the loop wakes for the more frequent of the two. Every
 * process runs this loop; the chores table lets one of them do each pass.
 */
export class Maintenance {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined

  constructor(private readonly d: MaintenanceDeps) {}

  start(): void {
    const every = Math.max(50, Math.min(Math.floor(this.d.leaseMs / 2), this.d.retentionMs))
    this.#timer ??= setInterval(() => void this.tick(), every)
    this.#timer.unref()
    void this.tick()
  }

  /** One pass: runs whichever chores are due and not claimed by another process. */
  tick(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #pass(): Promise<void> {
    const { store, emit } = this.d
    try {
      if (await claimChore(store, 'stalled', Math.floor(this.d.leaseMs / 2))) {
        await sweepStalled(store, emit, this.d)
      }
      if (await claimChore(store, 'retention', this.d.retentionMs)) {
        const keep = this.d.retention()
        await sweepRetention(store, keep, this.d.fallback)
        await sweepItems(store, keep, this.d.fallback)
        await sweepTicks(store)
      }
    } catch (err) {
      emit('error', err as Error)
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }
}
