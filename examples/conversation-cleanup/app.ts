import { performance } from 'node:perf_hooks'
import { type Job, type Tickwork, ValidationError } from 'tickwork'
import { z } from 'zod'
import {
  type Conversation,
  type ConversationStats,
  createTables,
  deactivateIdle,
  listConversations,
  readStats,
  touch,
} from './data.js'
import type { ConversationCleanupOptions } from './env.js'

export type { Conversation, ConversationStats } from './data.js'
export type { ConversationCleanupOptions } from './env.js'
export { conversationCleanupOptionsFromEnv } from './env.js'

/** The job's name, unique among the reference apps. */
export const CLEANUP_JOB = 'conversation-cleanup'

const MINUTE = 60_000

/** A run by hand may set its own threshold, as the legacy's `cleanupLegacyConversationsCustom(minutesOld)` did. */
const payloadSchema = z
  .object({ minutesOld: z.number().int().min(1).max(10_080) })
  .strict()
  // scheduled runs and triggers without a body carry no payload
  .nullish()

/** A cleanup run's payload: none, or a threshold of its own. */
export type CleanupPayload = z.output<typeof payloadSchema>

/** What a cleanup run returns (kept as the run's result). */
export interface CleanupResult {
  deactivated: number
  /** the ids deactivated, the first 100 by id */
  ids: string[]
  minutesOld: number
  /** ISO time: conversations idle since before it were deactivated */
  cutoff: string
  /** the counts right after the cleanup, in the same transaction */
  stats: ConversationStats
  /** wall-clock time the cleanup's transaction took */
  durationMs: number
}

/** The installed app: its job and its functions. */
export interface ConversationCleanupApp {
  schema: string
  thresholdMinutes: number
  job: Job<CleanupPayload>
  /** the counts now, `oldInactive` by the configured threshold */
  stats(): Promise<ConversationStats>
  /** records activity on a conversation now (creating or reactivating it) */
  touch(id: string): Promise<void>
  /** every conversation, by id */
  conversations(): Promise<Conversation[]>
  /**
   * Runs the cleanup in this process and waits for it (retries included), as the
   * legacy's custom cleanup did; `minutesOld` defaults to the configured threshold.
   * Throws the run's last error message as an `Error` when it failed for good.
   */
  cleanupNow(minutesOld?: number): Promise<CleanupResult>
}

// The legacy's non-retryable error kinds; CastError was Mongoose's refusal of a value.
const NON_RETRYABLE = new Set(['ValidationError', 'CastError', 'SyntaxError', 'TypeError'])

/**
 * Whether a failed cleanup is worth another attempt: not for the legacy's non-retryable
 * kinds, nor for Postgres errors that repeat on every try: class 22 (data exception,
 * SQL's CastError) and class 42 (syntax error or access rule violation: a missing table
 * or column). Lock timeouts, deadlocks, serialization failures and lost connections are
 * retried with backoff.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof Error && NON_RETRYABLE.has(err.name)) return false
  const code = (err as { code?: unknown } | null)?.code
  return !(typeof code === 'string' && /^(22|42)[0-9A-Z]{3}$/.test(code))
}

/**
 * Creates the app's table in `options.schema` (idempotent) and defines the
 * `conversation-cleanup` job on `tw`: on its schedule it deactivates the active
 * conversations idle longer than the threshold, in one UPDATE, and returns the counts.
 * Call before `tw.start()`. Throws `ValidationError` for a bad schema name, threshold,
 * cron or lock timeout; `StateError` once `tw` started; `ConflictError` when the job is
 * already defined on `tw`.
 */
export async function installConversationCleanup(
  tw: Tickwork,
  options: ConversationCleanupOptions = {},
): Promise<ConversationCleanupApp> {
  const schema = options.schema ?? 'conversation_cleanup'
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(schema))
    throw new ValidationError('invalid conversation cleanup options', [
      { path: 'schema', message: 'expected lower-case letters, digits and _, at most 50' },
    ])
  const thresholdMinutes = options.thresholdMinutes ?? 10
  const lockTimeoutMs = options.lockTimeoutMs ?? 5000
  for (const [path, value] of [
    ['thresholdMinutes', thresholdMinutes],
    ['lockTimeoutMs', lockTimeoutMs],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new ValidationError('invalid conversation cleanup options', [
        { path, message: `expected a whole number above 0, got ${value}` },
      ])

  const job = tw.job<CleanupPayload, CleanupResult>(CLEANUP_JOB, {
    schedule: { cron: options.cron ?? '*/5 * * * *', overlap: 'skip' },
    payload: payloadSchema,
    // the legacy's RETRY_CONFIG: 3 attempts, from 1 s doubling, at most 30 s
    retry: { attempts: 3, backoff: 'exponential', delay: '1s', maxDelay: '30s' },
    timeout: '2m',
    isRetryable,
    async run({ payload, log }) {
      const minutesOld = payload?.minutesOld ?? thresholdMinutes
      const now = new Date(tw.now())
      const cutoff = new Date(now.getTime() - minutesOld * MINUTE)
      const began = performance.now()
      const { ids, stats } = await tw.transaction(async (tx) => {
        // SET takes no parameters; the value is a checked integer
        await tx.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`)
        const ids = await deactivateIdle(tx, schema, cutoff, now)
        return { ids, stats: await readStats(tx, schema, cutoff, now) }
      })
      const durationMs = Math.round((performance.now() - began) * 10) / 10
      log.info(
        { deactivated: ids.length, minutesOld, durationMs, stats },
        'conversations cleaned up',
      )
      return {
        deactivated: ids.length,
        ids: ids.slice(0, 100),
        minutesOld,
        cutoff: cutoff.toISOString(),
        stats,
        durationMs,
      }
    },
  })

  await tw.transaction((tx) => createTables(tx, schema))

  return {
    schema,
    thresholdMinutes,
    job,
    async stats() {
      const now = tw.now()
      return tw.transaction((tx) =>
        readStats(tx, schema, new Date(now - thresholdMinutes * MINUTE), new Date(now)),
      )
    },
    touch: (id) => tw.transaction((tx) => touch(tx, schema, id, new Date(tw.now()))),
    conversations: () => tw.transaction((tx) => listConversations(tx, schema)),
    async cleanupNow(minutesOld) {
      const { run } = await tw.trigger(
        CLEANUP_JOB,
        minutesOld === undefined ? null : { minutesOld },
        {
          wait: true,
        },
      )
      if (run?.state !== 'completed')
        throw new Error(run?.errors.at(-1)?.message ?? `cleanup run ended ${run?.state}`)
      return run.result as CleanupResult
    },
  }
}
