import type { BackfillStatus } from '../backfill/backfill.js'
import { type Duration, toMs } from '../util/duration.js'

/** What a backfill handle asks of its `Tickwork`. */
export interface BackfillHost {
  status(id: string): Promise<BackfillStatus>
  topUp(id: string): Promise<void>
  cancel(id: string): Promise<boolean>
}

/** A backfill under way: its progress, waiting for its end, cancelling it. */
export class Backfill {
  constructor(
    /** the backfill's id */
    readonly id: string,
    private readonly host: BackfillHost,
  ) {}

  /** Progress and counts now. Throws `NotFoundError` once the backfill is gone. */
  status(): Promise<BackfillStatus> {
    return this.host.status(this.id)
  }

  /**
   * Resolves with the final status once every run of the backfill has ended (or it was
   * cancelled), reporting each poll to `onProgress`. While waiting it also enqueues the
   * backfill's next runs, so it progresses even where no scheduler runs (workers must
   * run somewhere). `poll` defaults to '1s'.
   */
  async wait(
    options: { poll?: Duration; onProgress?: (status: BackfillStatus) => void } = {},
  ): Promise<BackfillStatus> {
    const every = toMs(options.poll ?? '1s', 'poll')
    for (;;) {
      await this.host.topUp(this.id)
      const status = await this.host.status(this.id)
      options.onProgress?.(status)
      if (status.state !== 'running') return status
      await new Promise((r) => setTimeout(r, every))
    }
  }

  /**
   * Stops it: no more runs, its waiting and running ones cancelled, their ticks free for
   * a later backfill. Returns false when it had already ended.
   */
  cancel(): Promise<boolean> {
    return this.host.cancel(this.id)
  }
}
