import type { Job, Tickwork } from 'tickwork'
import { type Connection, type HealthStatus, listConnections, quoted } from './data.js'

/** The job's name; an HTTP trigger of it holds the lock `job-lock:whatsapp-health-check`. */
export const HEALTH_JOB = 'whatsapp-health-check'
const DAY_MS = 86_400_000

/** What the health check needs to know. */
export interface HealthSettings {
  schema: string
  cron: string
  metaApiUrl: string
  metaAppToken: string
  metaTimeoutMs: number
  slowMs: number
  warningDays: number
}

/** What one check of one token found. */
export interface Verdict {
  status: HealthStatus
  reason: string
  /** false when Meta gave no answer about the token (5xx, timeout, refused request) */
  verified: boolean
  expiresAt: Date | null
  httpStatus: number | null
  latencyMs: number
}

interface DebugToken {
  data?: { is_valid?: boolean; expires_at?: number; error?: { message?: string } }
}

/**
 * The rule: `error` when Meta says the token is invalid or it has expired; `warning`
 * when it expires within `warningDays`, when Meta answered slower than `slowMs`, or when
 * Meta could not tell (5xx, timeout): then the token is unverified and a connection
 * already in `error` stays there; `healthy` otherwise. Never throws.
 */
export async function checkToken(
  s: HealthSettings,
  token: string,
  now: number,
  previous: HealthStatus | null,
  signal: AbortSignal,
): Promise<Verdict> {
  const url = new URL('/debug_token', s.metaApiUrl)
  url.searchParams.set('input_token', token)
  url.searchParams.set('access_token', s.metaAppToken)
  const started = performance.now()
  const unverified = (reason: string, httpStatus: number | null): Verdict => ({
    status: previous === 'error' ? 'error' : 'warning',
    reason,
    verified: false,
    expiresAt: null,
    httpStatus,
    latencyMs: Math.round(performance.now() - started),
  })
  let res: Response
  let body: DebugToken
  try {
    res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(s.metaTimeoutMs)]),
    })
    body = (await res.json().catch(() => ({}))) as DebugToken
  } catch (err) {
    signal.throwIfAborted()
    return unverified(`meta_unreachable: ${(err as Error).message}`, null)
  }
  if (!res.ok) return unverified(`meta_unavailable: HTTP ${res.status}`, res.status)
  const latencyMs = Math.round(performance.now() - started)
  const data = body.data ?? {}
  const expiresAt = data.expires_at ? new Date(data.expires_at * 1000) : null
  const verdict = (status: HealthStatus, reason: string): Verdict => ({
    status,
    reason,
    verified: true,
    expiresAt,
    httpStatus: res.status,
    latencyMs,
  })
  if (data.is_valid !== true)
    return verdict('error', `token_invalid: ${data.error?.message ?? 'not valid'}`)
  if (expiresAt && expiresAt.getTime() <= now) return verdict('error', 'token_expired')
  if (expiresAt && expiresAt.getTime() - now <= s.warningDays * DAY_MS)
    return verdict(
      'warning',
      `token_expiring: in ${Math.ceil((expiresAt.getTime() - now) / DAY_MS)} day(s)`,
    )
  if (latencyMs > s.slowMs) return verdict('warning', `meta_slow: ${latencyMs} ms`)
  return verdict('healthy', 'ok')
}

/** The item's error when Meta could not tell: the record is written, the item fails. */
export class UnverifiedError extends Error {
  override name = 'UnverifiedError'
}

/**
 * Checks one connection and records it: the health record (once per connection and
 * check; a replayed item adds nothing) and the connection's status, in one transaction.
 * The status moves only forward in time, so a slow, older check never overwrites a newer
 * one's. Throws `UnverifiedError` when Meta could not tell, after recording.
 */
async function checkConnection(
  tw: Tickwork,
  s: HealthSettings,
  c: Connection,
  checkRun: string,
  signal: AbortSignal,
): Promise<void> {
  const v = await checkToken(s, c.accessToken, tw.now(), c.healthStatus, signal)
  const at = new Date(tw.now())
  const q = quoted(s.schema)
  await tw.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO ${q}.health_records
         (connection_id, check_run, checked_at, status, reason, verified, token_expires_at,
          http_status, latency_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (connection_id, check_run) DO NOTHING`,
      [c.id, checkRun, at, v.status, v.reason, v.verified, v.expiresAt, v.httpStatus, v.latencyMs],
    )
    await tx.query(
      `UPDATE ${q}.connections
          SET health_status = $2, health_reason = $3, last_health_check_at = $4,
              token_expires_at = COALESCE($5, token_expires_at)
        WHERE id = $1 AND (last_health_check_at IS NULL OR last_health_check_at <= $4)`,
      [c.id, v.status, v.reason, at, v.expiresAt],
    )
  })
  if (!v.verified) throw new UnverifiedError(v.reason)
}

/**
 * Defines `whatsapp-health-check`: daily (02:00 UTC by default) and on
 * `POST /trigger/whatsapp-health-check`. Each active connection is one item of the run's
 * item log, so one that fails does not fail the run. One check runs at a time, by
 * tickwork alone: a trigger during a scheduled check is refused (429), and a tick during
 * a triggered check is skipped (`overlap: 'skip'`). Throws `ValidationError` for a bad cron.
 */
export function defineHealthCheck(tw: Tickwork, s: HealthSettings): Job {
  return tw.job(HEALTH_JOB, {
    schedule: { cron: s.cron, timezone: 'UTC', overlap: 'skip', catchUp: 'latest' },
    timeout: '30m',
    retry: { attempts: 3, backoff: 'exponential', delay: '1m' },
    async run({ run, items, signal }) {
      const connections = await listConnections(tw, quoted(s.schema), { active: true })
      return items.each(connections, { key: (c) => c.id, concurrency: 4, batchSize: 50 }, (c) =>
        checkConnection(tw, s, c, run.id, signal),
      )
    },
  })
}
