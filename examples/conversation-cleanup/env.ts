import { z } from 'zod'
import { cronSetting, type Env, readEnv, schemaName, wholeNumber } from '../shared/env.js'

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

const envSchema = z.object({
  CONVERSATION_CLEANUP_SCHEMA: schemaName.optional(),
  // a week at most: a longer idle threshold is a retention policy, not a session timeout
  CONVERSATION_CLEANUP_THRESHOLD_MINUTES: wholeNumber('minutes', 1, 10_080).optional(),
  CONVERSATION_CLEANUP_CRON: cronSetting(),
  CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS: wholeNumber('milliseconds', 1, 600_000).optional(),
})

/**
 * The app's options from the environment: `CONVERSATION_CLEANUP_SCHEMA`,
 * `CONVERSATION_CLEANUP_THRESHOLD_MINUTES`, `CONVERSATION_CLEANUP_CRON`,
 * `CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS`; unset (or empty) ones leave no key. Throws
 * `ValidationError` naming each bad variable and the value it got.
 */
export function conversationCleanupOptionsFromEnv(
  env: Env = process.env,
): ConversationCleanupOptions {
  const e = readEnv(envSchema, env, 'conversation cleanup environment')
  const options: ConversationCleanupOptions = {
    schema: e.CONVERSATION_CLEANUP_SCHEMA,
    thresholdMinutes: e.CONVERSATION_CLEANUP_THRESHOLD_MINUTES,
    cron: e.CONVERSATION_CLEANUP_CRON,
    lockTimeoutMs: e.CONVERSATION_CLEANUP_LOCK_TIMEOUT_MS,
  }
  // an unset variable leaves no key, so `{ ...defaults, ...fromEnv() }` keeps the defaults
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
}
