import {
  type Job,
  PermanentError,
  type RetryOptions,
  type Tickwork,
  ValidationError,
} from 'tickwork'
import { fetchSummary, type VcRecord } from './analytics.js'
import {
  addDocuments,
  applyEvent,
  createTables,
  listDocuments,
  type VcDocument,
} from './documents.js'
import { type SkipReason, type SuccessRateRow, successRate } from './stats.js'

/** The job's name, shared by the schedule, the watermark and the item log. */
export const VC_JOB = 'vc-processing'

/** The analytics types the original knew, and the document status each stands for. */
export const DEFAULT_TYPE_MAP: Readonly<Record<string, string>> = { record_anchored: 'issued' }

/** How the app is set up; the env names are those `vcProcessingOptionsFromEnv` reads. */
export interface VcProcessingOptions {
  /** the analytics API (DHIWAY_ANALYTICS_BASE_URL), without a trailing slash */
  baseUrl: string
  /** DHIWAY_ANALYTICS_TIMEOUT_MS; default 30000 */
  timeoutMs?: number
  /** the Postgres schema of the app's tables; default 'vc_processing' */
  schema?: string
  /** VC_PROCESSING_CRON_SCHEDULE (UTC); default '0 *\/2 * * *' */
  cron?: string
  /** VC_PROCESSING_LOOKBACK_MINUTES; default 120 */
  lookbackMinutes?: number
  /** VC_PROCESSING_MAX_SPAN_MINUTES: the longest window one run processes; default 1440 */
  maxSpanMinutes?: number
  /** where the very first window starts; default its own end (the first run processes nothing) */
  windowStart?: Date
  /** added to (or overriding) DEFAULT_TYPE_MAP: analytics type → document status */
  typeMap?: Record<string, string>
  /** retries of a window whose API call or records failed; default 3 attempts from 1 min */
  retry?: RetryOptions
}

/** What `installVcProcessing` gives back. */
export interface VcProcessingApp {
  job: Job<unknown>
  schema: string
  typeMap: Readonly<Record<string, string>>
  /** inserts documents that do not exist yet */
  addDocuments(docs: Array<{ id: string; title?: string }>): Promise<void>
  /** every document, by id */
  listDocuments(): Promise<VcDocument[]>
  /** the legacy success-rate query: outcomes of the records of the last `hours` (24) */
  successRate(hours?: number): Promise<SuccessRateRow[]>
}

/** A record left alone on purpose; its error name is the reason in the item log. */
class SkippedRecord extends Error {
  constructor(
    override readonly name: SkipReason,
    message: string,
  ) {
    super(message)
  }
}

/** More records failed than a retry would leave alone; the attempt is retried. */
class RecordsFailedError extends Error {
  override readonly name = 'RecordsFailedError'
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,49}$/

/**
 * Creates the app's tables (idempotent) and defines the `vc-processing` job on `tw`:
 * each tick processes the analytics events of `[watermark, tick − lookback)` into the
 * documents, one item-log entry per record. Call before `tw.start()`. Throws
 * `ValidationError` for a bad schema name or job option (cron, durations), and
 * tickwork's `StateError` once `tw` started.
 */
export async function installVcProcessing(
  tw: Tickwork,
  options: VcProcessingOptions,
): Promise<VcProcessingApp> {
  const s = options.schema ?? 'vc_processing'
  if (!SCHEMA_NAME.test(s))
    throw new ValidationError('invalid VC processing options', [
      { path: 'schema', message: 'expected lower-case letters, digits and _, at most 50' },
    ])
  const typeMap = Object.freeze({ ...DEFAULT_TYPE_MAP, ...options.typeMap })
  const timeoutMs = options.timeoutMs ?? 30_000

  /** Applies one record to its document; a skip is thrown as `SkippedRecord`. */
  const processRecord = async (r: VcRecord) => {
    const status = typeMap[r.type]
    if (status === undefined)
      throw new SkippedRecord('UnknownVcType', `no document status for type '${r.type}'`)
    const at = new Date(r.created_at)
    if (Number.isNaN(at.getTime()))
      throw new SkippedRecord('MalformedRecord', `created_at '${r.created_at}' is not a time`)
    const applied = await applyEvent(tw, s, {
      documentId: r.document_id,
      vcPublicId: r.vc_public_id,
      status,
      eventId: r.id,
      at,
    })
    if (applied === 'missing')
      throw new SkippedRecord('DocumentNotFound', `document '${r.document_id}' does not exist`)
  }

  const job = tw.job(VC_JOB, {
    schedule: { cron: options.cron ?? '0 */2 * * *', overlap: 'skip', catchUp: 'latest' },
    window: {
      lookback: (options.lookbackMinutes ?? 120) * 60_000,
      maxSpan: (options.maxSpanMinutes ?? 1440) * 60_000,
      ...(options.windowStart ? { start: options.windowStart } : {}),
    },
    timeout: '30m',
    retry: options.retry ?? { attempts: 3, backoff: 'exponential', delay: '1m' },
    async run({ window, signal, items, log, attempt, run }) {
      if (!window) throw new PermanentError('vc-processing runs only with a window')
      const span = { from: window.from.toISOString(), to: window.to.toISOString() }
      if (window.from >= window.to) {
        log.info(span, 'empty window: the watermark starts here')
        return { ...span, records: 0, processed: 0, skipped: 0, failed: 0, alreadyDone: 0 }
      }
      log.info(span, `processing time window ${span.from} to ${span.to}`)
      const records = await fetchSummary(options.baseUrl, window, { timeoutMs, signal })
      log.info(`found ${records.length} records to process`)
      let hard = 0
      let skips = 0
      const counts = await items.each(records, { key: (r) => r.id }, async (r) => {
        try {
          await processRecord(r)
        } catch (err) {
          if (err instanceof SkippedRecord) {
            skips++
            log.warn({ record: r.id }, err.message)
          } else hard++
          throw err
        }
      })
      const result = {
        ...span,
        records: records.length,
        processed: counts.ok,
        skipped: skips,
        failed: hard,
        // succeeded in an earlier attempt at this window: not done again
        alreadyDone: counts.skipped,
      }
      log.info(result, `completed processing: ${counts.ok} ok, ${skips} skipped, ${hard} failed`)
      // records that failed for a reason other than a skip get the remaining attempts
      // (the item log makes a retry redo only them); on the last one they stay failed
      // in the log and the window completes, so one bad record cannot hold the watermark
      if (hard > 0 && attempt < run.maxAttempts)
        throw new RecordsFailedError(`${hard} of ${records.length} records failed`)
      return result
    },
  })

  await createTables(tw, s)
  return {
    job: job as Job<unknown>,
    schema: s,
    typeMap,
    addDocuments: (docs) => addDocuments(tw, s, docs),
    listDocuments: () => listDocuments(tw, s),
    successRate: (hours) => successRate(tw, VC_JOB, hours),
  }
}
