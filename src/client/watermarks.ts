import { ValidationError } from '../errors.js'
import type { QueueStore } from '../queue/store.js'
import { parse } from '../util/parse.js'
import { getWatermark, setWatermark } from '../window/watermark.js'
import { dateSchema } from './inputs.js'
import type { ResolvedJob } from './resolve.js'

/** Where each windowed job's processing has reached: `tw.watermark`. */
export class Watermarks {
  constructor(
    private readonly open: () => Promise<QueueStore>,
    private readonly defined: (job: string) => ResolvedJob,
  ) {}

  /** The job's watermark: the start of its next window; null before its first run. */
  async get(job: string): Promise<Date | null> {
    return getWatermark(await this.open(), job)
  }

  /**
   * Moves the job's watermark: its next window starts at `value`. Audited with the
   * value it replaced. Throws `ValidationError` for a bad date or a job without a
   * window, `NotFoundError` for a job not defined here.
   */
  async set(job: string, value: Date | string): Promise<void> {
    const at = parse(dateSchema, value, 'watermark', 'value')
    if (!this.defined(job).window)
      throw new ValidationError('not a windowed job', [
        { path: 'job', message: `job '${job}' has no window option` },
      ])
    await setWatermark(await this.open(), job, at)
  }
}
