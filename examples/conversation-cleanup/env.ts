import { nextFireTimes, ValidationError } from 'tickwork'
import { z } from 'zod'

/** How the conversation cleanup app is set up; every field has a default. */
export interface ConversationCleanupOptions {
  /** the app's own Postgres schema (its `conversation_states` table); default 'conversation_cleanup' */
  schema?: string
  /** a conversation idle longer than this is deactivated; default 10 (the legacy's fixed value) */
  thresholdMinutes?: number
  /** when the cleanup runs; default '*\/5 * * * *' (the legacy's CLEANUP_LEGACY_CONVERSATIONS) */
  cron?: string
  /**
   * how long the cleanup's UPDATE waits for a row or table lock held elsewhere before the
   * attempt fails (and is retried); default 5000
   */
  lockTimeoutMs?: number
}

const whole = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number of ${what}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${min}-${max}`)

const envSchema = z.object({
  CONVERSATION_CLEANUP_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,49}$/, 'expected lower-case letters, digits and _, at most 50')
    .optional(),
  // a week at most: a longer idle threshold is a retention policy, not a session timeout
  CONVERSATION_CLEANUP_THRESHOLD_MINUTES: whole('minutes', 1, 10_080).optional(),
  CONVERSATION_CLEANUP_CRON: z
    .string()
    .superRefine((cron, ctx) => {
      const problem = cronProblem(cron)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
    .optional(),
  CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS: whole('milliseconds', 1, 600_000).optional(),
})

/** What tickwork's own cron parser says of an expression; undefined when it is valid. */
function cronProblem(cron: string): string | undefined {
  try {
    nextFireTimes(cron, { count: 1 })
    return undefined
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return err.issues.map((i) => i.message).join('; ') || err.message
  }
}

/**
 * The app's options from the environment: `CONVERSATION_CLEANUP_SCHEMA`,
 * `CONVERSATION_CLEANUP_THRESHOLD_MINUTES`, `CONVERSATION_CLEANUP_CRON`,
 * `CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS`; unset (or empty) ones leave no key. Throws
 * `ValidationError` naming each bad variable and the value it got.
 */
export function conversationCleanupOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): ConversationCleanupOptions {
  const set = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  )
  const r = envSchema.safeParse(set)
  if (!r.success)
    throw new ValidationError(
      'invalid conversation cleanup environment',
      r.error.issues.map((i) => ({
        path: String(i.path[0]),
        message: `${i.message}, got ${JSON.stringify(set[String(i.path[0])])}`,
      })),
    )
  const e = r.data
  const options: ConversationCleanupOptions = {
    schema: e.CONVERSATION_CLEANUP_SCHEMA,
    thresholdMinutes: e.CONVERSATION_CLEANUP_THRESHOLD_MINUTES,
    cron: e.CONVERSATION_CLEANUP_CRON,
    lockTimeoutMs: e.CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS,
  }
  // an unset variable leaves no key, so `{ ...defaults, ...fromEnv() }` keeps the defaults
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
}
