import { z } from 'zod'
import type { Duration } from '../util/duration.js'
import { durationSchema, parse } from '../util/parse.js'

/** The kinds of alert: a run `failed` for good, a `timeout` (each attempt), `missed` ticks, a `slow` run. */
export const ALERT_KINDS = ['failed', 'timeout', 'missed', 'slow'] as const

/** What an alert is about. */
export type AlertKind = (typeof ALERT_KINDS)[number]

/** One webhook alerts are posted to. */
export interface WebhookOptions {
  /** an http:// or https:// URL */
  url: string
  /** 'json' (default): the alert as a JSON object; 'slack': `{ text }` for a Slack incoming webhook */
  format?: 'json' | 'slack'
  /** the kinds posted here; default all */
  on?: AlertKind[]
  /** only alerts of these jobs; default all (global webhooks only) */
  jobs?: string[]
  /** sent with every post (an authorization token, say); never logged */
  headers?: Record<string, string>
}

/** `alerts` of `new Tickwork()`: where every job's alerts go. */
export interface AlertsOptions {
  webhooks: WebhookOptions[]
  /** a run that completes after running at least this long alerts as 'slow'; default never */
  slowRun?: Duration
}

/** `alerts` of a job: what it adds to, or takes from, the global alerts. */
export interface JobAlertsOptions {
  /** posted to as well as the global webhooks, for this job's alerts only */
  webhooks?: Omit<WebhookOptions, 'jobs'>[]
  /** replaces the global `slowRun` for this job */
  slowRun?: Duration
  /** the kinds this job alerts on, whatever the webhooks take; false: none at all; default all */
  on?: AlertKind[] | false
}

/** A webhook validated, with defaults. */
export interface ResolvedWebhook {
  url: string
  format: 'json' | 'slack'
  on: AlertKind[]
  /** null: every job */
  jobs: string[] | null
  headers: Record<string, string>
}

/** Global alert options validated, with defaults and durations in ms. */
export interface ResolvedAlerts {
  webhooks: ResolvedWebhook[]
  slowRunMs: number | null
}

/** A job's alert options validated, with defaults and durations in ms. */
export interface ResolvedJobAlerts {
  webhooks: ResolvedWebhook[]
  /** null: the global `slowRun` */
  slowRunMs: number | null
  /** null: every kind; false: no alerts for this job */
  on: AlertKind[] | null | false
}

/** No webhooks, no slow runs: for a Tickwork whose options have no `alerts`. */
export const NO_ALERTS: ResolvedAlerts = { webhooks: [], slowRunMs: null }

const slowRun = durationSchema.refine((ms) => ms > 0, 'must be above 0')

const kinds = z.array(z.enum(ALERT_KINDS))

// checked here, not at the first post: a bad header would otherwise fail every delivery
const headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'),
  z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot hold CR, LF or NUL'),
)

const hookFields = {
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  format: z.enum(['json', 'slack']).optional(),
  on: kinds.min(1, 'give at least one kind, or leave the webhook out').optional(),
  headers: headers.optional(),
}

const resolveHook = (w: WebhookOptions): ResolvedWebhook => ({
  url: w.url,
  format: w.format ?? 'json',
  on: w.on ?? [...ALERT_KINDS],
  jobs: w.jobs ?? null,
  headers: w.headers ?? {},
})

/**
 * Validates the global `alerts` option and resolves it; embed it in the options schema
 * or call `resolveAlerts`. Defaults: format 'json', every kind, every job, no headers,
 * no slow-run alerts.
 */
export const alertsSchema: z.ZodType<ResolvedAlerts, AlertsOptions> = z
  .object({
    webhooks: z.array(
      z
        .object({ ...hookFields, jobs: z.array(z.string().min(1)).min(1).optional() })
        .strict()
        .transform(resolveHook),
    ),
    slowRun: slowRun.optional(),
  })
  .strict()
  .transform((o) => ({ webhooks: o.webhooks, slowRunMs: o.slowRun ?? null }))

/**
 * Validates a job's `alerts` option and resolves it. Its webhooks take no `jobs`: they
 * are the job's own.
 */
export const jobAlertsSchema: z.ZodType<ResolvedJobAlerts, JobAlertsOptions> = z
  .object({
    webhooks: z.array(z.object(hookFields).strict().transform(resolveHook)).optional(),
    slowRun: slowRun.optional(),
    on: z.union([z.literal(false), kinds]).optional(),
  })
  .strict()
  .transform((o) => ({
    webhooks: o.webhooks ?? [],
    slowRunMs: o.slowRun ?? null,
    on: o.on ?? null,
  }))

/** Resolves the global `alerts` option. Throws `ValidationError` naming each bad field under `prefix`. */
export function resolveAlerts(options: AlertsOptions, prefix = 'alerts'): ResolvedAlerts {
  return parse(alertsSchema, options, 'alerts options', prefix)
}

/** Resolves a job's `alerts` option. Throws `ValidationError` naming each bad field under `prefix`. */
export function resolveJobAlerts(
  job: string,
  options: JobAlertsOptions,
  prefix = 'alerts',
): ResolvedJobAlerts {
  return parse(jobAlertsSchema, options, `alerts of job '${job}'`, prefix)
}
