import { nextFireTimes, ValidationError } from 'tickwork'
import { z } from 'zod'

/** How the app is configured; the two service URLs are left unset where demo mode fills them. */
export interface WhatsappHealthEnv {
  /** Postgres schema of the app's tables */
  schema: string
  /** base URL of the Meta Graph API (unset: demo mode starts a fake) */
  metaApiUrl: string | undefined
  /** the app token sent as `access_token` to `/debug_token` */
  metaAppToken: string
  /** a Meta call slower than this is abandoned and counts as unverified */
  metaTimeoutMs: number
  /** a Meta answer slower than this makes a valid token's connection `warning` */
  slowMs: number
  /** a token expiring within this many days makes its connection `warning` */
  warningDays: number
  /** when the daily check runs, in UTC */
  cron: string
  /** where inbound webhook events are delivered (unset: demo mode starts a fake receiver) */
  webhookTargetUrl: string | undefined
  /** delivery attempts in all before an event is dead-lettered */
  webhookAttempts: number
  /** the first wait between delivery attempts, doubled each time */
  webhookRetryDelay: string
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

// tickwork's own parser: a bad expression stops the process before anything starts
const cron = z.string().superRefine((expr, ctx) => {
  try {
    nextFireTimes(expr, { count: 1 })
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    ctx.addIssue({ code: 'custom', message: err.issues.map((i) => i.message).join('; ') })
  }
})

const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

const schema = z.object({
  WHATSAPP_HEALTH_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,49}$/, 'expected lower-case letters, digits and _')
    .default('whatsapp_health'),
  META_GRAPH_API_URL: url.optional(),
  META_APP_ACCESS_TOKEN: z.string().min(1).default('demo-app-token'),
  META_API_TIMEOUT_MS: int(100, 120_000).default(10_000),
  WHATSAPP_SLOW_RESPONSE_MS: int(1, 120_000).default(5_000),
  WHATSAPP_TOKEN_WARNING_DAYS: int(0, 365).default(7),
  WHATSAPP_HEALTH_CRON: cron.default('0 2 * * *'),
  WHATSAPP_WEBHOOK_TARGET_URL: url.optional(),
  WHATSAPP_WEBHOOK_ATTEMPTS: int(1, 50).default(5),
  WHATSAPP_WEBHOOK_RETRY_DELAY: z
    .string()
    .regex(/^\d+(ms|s|m|h)$/, "expected a duration such as '5m'")
    .default('5m'),
})

/**
 * Reads the legacy's settings from the environment (empty values count as unset), with
 * defaults: the check at 02:00 UTC, warning 7 days before a token expires, webhook
 * deliveries retried from 5 minutes doubling, 5 attempts. Throws `ValidationError`
 * naming each bad variable.
 */
export function whatsappHealthOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): WhatsappHealthEnv {
  const given = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  )
  const parsed = schema.safeParse(given)
  if (!parsed.success)
    throw new ValidationError(
      'invalid whatsapp-health settings',
      parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: `${i.message}, got ${JSON.stringify(given[String(i.path[0])])}`,
      })),
    )
  const e = parsed.data
  return {
    schema: e.WHATSAPP_HEALTH_SCHEMA,
    metaApiUrl: e.META_GRAPH_API_URL,
    metaAppToken: e.META_APP_ACCESS_TOKEN,
    metaTimeoutMs: e.META_API_TIMEOUT_MS,
    slowMs: e.WHATSAPP_SLOW_RESPONSE_MS,
    warningDays: e.WHATSAPP_TOKEN_WARNING_DAYS,
    cron: e.WHATSAPP_HEALTH_CRON,
    webhookTargetUrl: e.WHATSAPP_WEBHOOK_TARGET_URL,
    webhookAttempts: e.WHATSAPP_WEBHOOK_ATTEMPTS,
    webhookRetryDelay: e.WHATSAPP_WEBHOOK_RETRY_DELAY,
  }
}
