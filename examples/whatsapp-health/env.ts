import { z } from 'zod'
import { cronSetting, type Env, httpUrl, readEnv, schemaName, wholeNumber } from '../shared/env.js'

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

const schema = z.object({
  WHATSAPP_HEALTH_SCHEMA: schemaName.default('whatsapp_health'),
  META_GRAPH_API_URL: httpUrl.optional(),
  META_APP_ACCESS_TOKEN: z.string().min(1).default('demo-app-token'),
  META_API_TIMEOUT_MS: wholeNumber('milliseconds', 100, 120_000).default(10_000),
  WHATSAPP_SLOW_RESPONSE_MS: wholeNumber('milliseconds', 1, 120_000).default(5_000),
  WHATSAPP_TOKEN_WARNING_DAYS: wholeNumber('days', 0, 365).default(7),
  WHATSAPP_HEALTH_CRON: cronSetting('0 2 * * *'),
  WHATSAPP_WEBHOOK_TARGET_URL: httpUrl.optional(),
  WHATSAPP_WEBHOOK_ATTEMPTS: wholeNumber('attempts', 1, 50).default(5),
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
export function whatsappHealthOptionsFromEnv(env: Env = process.env): WhatsappHealthEnv {
  const e = readEnv(schema, env, 'whatsapp-health settings')
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
