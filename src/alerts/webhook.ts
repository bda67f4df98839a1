import type { Logger } from 'pino'
import type { AlertKind, ResolvedWebhook } from './options.js'

/** An alert as a 'json' webhook receives it. */
export interface Alert {
  kind: AlertKind
  job: string
  runId?: string
  attempt?: number
  error?: { name: string; message: string }
  /** the missed ticks, ISO times */
  ticks?: string[]
  durationMs?: number
  /** when it was raised, ISO (the Tickwork's clock) */
  at: string
  /** one human sentence: what a 'slack' webhook receives as `{ text }` */
  text: string
}

/** How deliveries are made and retried. */
export interface DeliveryOptions {
  fetch: typeof fetch
  logger: Logger
  /** tries in all, the first included, and the pause before the second (doubling after) */
  retry: { attempts: number; delayMs: number }
}

const TIMEOUT_MS = 10_000

// 429 and 5xx say "later"; any other refusal would be refused again
const retryable = (status: number) => status === 429 || status >= 500

/**
 * Posts `alert` to `hook`, retrying a network error, a timeout, a 5xx or a 429 with
 * exponential backoff, and logs one error line when it gives up. Rejects only for a
 * hook `alertsSchema` would refuse (a malformed header). The log names the webhook by its origin only: headers, and a URL's path (a Slack
 * webhook's holds its secret), stay out of logs.
 */
export async function deliver(
  hook: ResolvedWebhook,
  alert: Alert,
  options: DeliveryOptions,
): Promise<void> {
  const body = JSON.stringify(hook.format === 'slack' ? { text: alert.text } : alert)
  const headers = new Headers(hook.headers)
  headers.set('content-type', 'application/json')
  let failure: { status: number } | { error: string } = { error: 'no attempt made' }
  let tries = 0
  while (tries < options.retry.attempts) {
    if (tries > 0) await sleep(options.retry.delayMs * 2 ** (tries - 1))
    tries++
    try {
      const res = await options.fetch(hook.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      // an unread body would hold the connection open
      await res.body?.cancel().catch(() => {})
      if (res.ok) return
      failure = { status: res.status }
      if (!retryable(res.status)) break
    } catch (err) {
      failure = { error: describe(err) }
    }
  }
  options.logger.error(
    { alert: alert.kind, job: alert.job, webhook: origin(hook.url), tries, ...failure },
    'alert webhook delivery failed; giving up',
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const origin = (url: string) => new URL(url).origin

// fetch's own message is a bare 'fetch failed': the cause says what went wrong
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
  return `${err.name}: ${err.message}${cause}`
}
