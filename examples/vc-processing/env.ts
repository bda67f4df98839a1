import { nextFireTimes, ValidationError } from 'tickwork'
import { z } from 'zod'

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

const minutes = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number of minutes')
    .transform(Number)
    .pipe(z.number().int().max(max, `at most ${max}`))

const envSchema = z.object({
  VC_PROCESSING_CRON_SCHEDULE: z.string().trim().min(1).default('0 */2 * * *'),
  VC_PROCESSING_LOOKBACK_MINUTES: minutes(525_600).default(120),
  VC_PROCESSING_MAX_SPAN_MINUTES: minutes(525_600)
    .refine((m) => m > 0, 'must be above 0')
    .default(1440),
  DHIWAY_ANALYTICS_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .optional(),
  DHIWAY_ANALYTICS_TIMEOUT_MS: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be above 0').max(600_000, 'at most 600000'))
    .default(30_000),
})

/**
 * Reads the legacy environment variables, with the legacy defaults. Empty values count
 * as unset. Throws tickwork's `ValidationError` naming each bad variable (the cron
 * expression is checked by tickwork's own parser, so it fails here rather than at start).
 */
export function vcProcessingOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): VcProcessingEnv {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  )
  const parsed = envSchema.safeParse(present)
  if (!parsed.success)
    throw new ValidationError(
      'invalid VC processing environment',
      parsed.error.issues.map((i) => ({ path: String(i.path[0]), message: i.message })),
    )
  const e = parsed.data
  checkCron(e.VC_PROCESSING_CRON_SCHEDULE)
  return {
    cron: e.VC_PROCESSING_CRON_SCHEDULE,
    lookbackMinutes: e.VC_PROCESSING_LOOKBACK_MINUTES,
    maxSpanMinutes: e.VC_PROCESSING_MAX_SPAN_MINUTES,
    baseUrl: e.DHIWAY_ANALYTICS_BASE_URL?.replace(/\/+$/, ''),
    timeoutMs: e.DHIWAY_ANALYTICS_TIMEOUT_MS,
  }
}

// checked by tickwork's own parser, so a bad expression stops the process before it starts
function checkCron(cron: string): void {
  try {
    nextFireTimes(cron, { count: 1 })
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    throw new ValidationError('invalid VC processing environment', [
      {
        path: 'VC_PROCESSING_CRON_SCHEDULE',
        message: err.issues.map((i) => i.message).join('; ') || err.message,
      },
    ])
  }
}
