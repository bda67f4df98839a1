import { z } from 'zod'
import { cronSetting, type Env, httpUrl, readEnv, wholeNumber } from '../shared/env.js'

/** The app's settings as the legacy deployment read them from its environment. */
export interface VcProcessingEnv {
  /** VC_PROCESSING_CRON_SCHEDULE, 5 or 6 cron fields (UTC); default every 2 hours */
  cron: string
  /** VC_PROCESSING_LOOKBACK_MINUTES: events this recent are left for a later run; default 120 */
  lookbackMinutes: number
  /** VC_PROCESSING_MAX_SPAN_MINUTES: a longer gap is processed in windows of this size; default 1 day */
  maxSpanMinutes: number
  /** DHIWAY_ANALYTICS_BASE_URL; unset means demo mode (the fake analytics API) */
  baseUrl: string | undefined
  /** DHIWAY_ANALYTICS_TIMEOUT_MS: how long one analytics call may take; default 30 s */
  timeoutMs: number
}

const envSchema = z.object({
  VC_PROCESSING_CRON_SCHEDULE: cronSetting('0 */2 * * *'),
  VC_PROCESSING_LOOKBACK_MINUTES: wholeNumber('minutes', 0, 525_600).default(120),
  VC_PROCESSING_MAX_SPAN_MINUTES: wholeNumber('minutes', 1, 525_600).default(1440),
  DHIWAY_ANALYTICS_BASE_URL: httpUrl.optional(),
  DHIWAY_ANALYTICS_TIMEOUT_MS: wholeNumber('milliseconds', 1, 600_000).default(30_000),
})

/**
 * Reads the legacy environment variables, with the legacy defaults. Empty values count
 * as unset. Throws tickwork's `ValidationError` naming each bad variable and the value it
 * got (the cron expression is checked by tickwork's own parser, so it fails here rather
 * than at start).
 */
export function vcProcessingOptionsFromEnv(env: Env = process.env): VcProcessingEnv {
  const e = readEnv(envSchema, env, 'VC processing environment')
  return {
    cron: e.VC_PROCESSING_CRON_SCHEDULE,
    lookbackMinutes: e.VC_PROCESSING_LOOKBACK_MINUTES,
    maxSpanMinutes: e.VC_PROCESSING_MAX_SPAN_MINUTES,
    baseUrl: e.DHIWAY_ANALYTICS_BASE_URL?.replace(/\/+$/, ''),
    timeoutMs: e.DHIWAY_ANALYTICS_TIMEOUT_MS,
  }
}
