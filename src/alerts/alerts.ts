import type { Logger } from 'pino'
import type { Tickwork } from '../client/tickwork.js'
import type { AttemptError } from '../queue/types.js'
import type { TickworkEvents } from '../worker/events.js'
import type { AlertKind, ResolvedAlerts, ResolvedJobAlerts, ResolvedWebhook } from './options.js'
import { type Alert, type DeliveryOptions, deliver } from './webhook.js'

/** Options of `createAlerts`; the defaults suit production, tests make them fast. */
export interface CreateAlertsOptions {
  /** default the global `fetch` */
  fetch?: typeof fetch
  /** where a delivery given up on is logged; default `tw.logger` */
  logger?: Logger
  /** tries per delivery, the first included, and the first pause; default 4 tries from 1 s, doubling */
  retry?: { attempts: number; delayMs: number }
}

/** The alerts `createAlerts` started. */
export interface Alerts {
  /** Stops listening, then waits for the deliveries in flight (each bounded by its retries). */
  close(): Promise<void>
}

// an error message can be a whole response body: a chat line needs its start only
const MAX_MESSAGE = 1000

const short = (message: string) =>
  message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)

const isTimeout = (error: AttemptError) => error.name === 'TimeoutError'

/** How long `close()` waits for deliveries still under way. */
const CLOSE_MS = 5_000

/**
 * Posts alerts to webhooks as `tw`'s events come: a run failed for good ('failed'; when its
 * last attempt timed out, 'timeout' to a hook that takes it, else 'failed'), an attempt timed out and will be retried
 * ('timeout'), a schedule missed ticks ('missed'), a run completed after running at
 * least `slowRun` ('slow'). An alert of job J goes to the global webhooks whose `on`
 * has its kind and whose `jobs` (if given) has J, and to J's own webhooks whose `on`
 * has it; J's `on` limits the kinds further, and `on: false` silences J. Deliveries
 * run in the background and never throw into the emitter; one given up on is logged.
 * `close()` waits at most 5 s for those under way.
 */
export function createAlerts(
  tw: Tickwork,
  global: ResolvedAlerts,
  perJob: Map<string, ResolvedJobAlerts>,
  options: CreateAlertsOptions = {},
): Alerts {
  const delivery: DeliveryOptions = {
    fetch: options.fetch ?? fetch,
    logger: options.logger ?? tw.logger,
    retry: options.retry ?? { attempts: 4, delayMs: 1000 },
  }
  const inFlight = new Set<Promise<void>>()

  const targets = (job: string, kind: AlertKind): ResolvedWebhook[] => {
    const own = perJob.get(job)
    if (own?.on === false || (own?.on && !own.on.includes(kind))) return []
    return [
      ...global.webhooks.filter((w) => !w.jobs || w.jobs.includes(job)),
      ...(own?.webhooks ?? []),
    ].filter((w) => w.on.includes(kind))
  }

  /** Sends the alert to each hook once, as the first of `kinds` the hook takes. */
  const raise = (alert: Omit<Alert, 'at' | 'kind'>, kinds: AlertKind[]) => {
    const at = new Date(tw.now()).toISOString()
    const sentTo = new Set<ResolvedWebhook>()
    for (const kind of kinds)
      for (const hook of targets(alert.job, kind)) {
        if (sentTo.has(hook)) continue
        sentTo.add(hook)
        send(hook, { ...alert, kind, at })
      }
  }

  const send = (hook: ResolvedWebhook, alert: Alert) => {
    // only a hook the schema would refuse gets here; the error's message may quote
    // the bad header's value, so its name alone is logged
    const sent: Promise<void> = deliver(hook, alert, delivery)
      .catch((err: unknown) =>
        delivery.logger.error(
          { alert: alert.kind, job: alert.job, err: err instanceof Error ? err.name : 'unknown' },
          'alert webhook not sent: invalid webhook options',
        ),
      )
      .finally(() => inFlight.delete(sent))
    inFlight.add(sent)
  }

  const runAlert = (
    kind: AlertKind | AlertKind[],
    e: { id: string; job: string; attempt: number; error: AttemptError; durationMs: number },
    text: string,
  ) =>
    raise(
      {
        job: e.job,
        runId: e.id,
        attempt: e.attempt,
        error: { name: e.error.name, message: short(e.error.message) },
        durationMs: e.durationMs,
        text,
      },
      Array.isArray(kind) ? kind : [kind],
    )

  const listeners: Array<() => void> = []
  const on = <K extends keyof TickworkEvents & string>(
    event: K,
    listener: (data: TickworkEvents[K]) => void,
  ) => listeners.push(tw.on(event, listener))

  on('run:failed', (e) => {
    const what = isTimeout(e.error)
      ? `timed out on attempt ${e.attempt} and failed for good`
      : `failed for good on attempt ${e.attempt}`
    // a final timeout is a failure too: a hook for failures alone hears of it as one
    runAlert(
      isTimeout(e.error) ? ['timeout', 'failed'] : 'failed',
      e,
      `Run ${e.id} of job '${e.job}' ${what}: ${e.error.name}: ${short(e.error.message)}`,
    )
  })
  on('run:retrying', (e) => {
    if (!isTimeout(e.error)) return
    runAlert(
      'timeout',
      e,
      `Run ${e.id} of job '${e.job}' timed out on attempt ${e.attempt} (${short(e.error.message)}); it will be tried again at ${e.retryAt.toISOString()}`,
    )
  })
  on('run:completed', (e) => {
    const limit = perJob.get(e.job)?.slowRunMs ?? global.slowRunMs
    if (limit === null || e.durationMs < limit) return
    raise(
      {
        job: e.job,
        runId: e.id,
        attempt: e.attempt,
        durationMs: e.durationMs,
        text: `Run ${e.id} of job '${e.job}' completed in ${seconds(e.durationMs)}, over its slow-run threshold of ${seconds(limit)}`,
      },
      ['slow'],
    )
  })
  on('schedule:missed', (e) => {
    const ticks = e.ticks.map((t) => t.toISOString())
    const count =
      ticks.length === 0
        ? 'scheduled ticks, too many to list'
        : `${ticks.length}${e.more ? ' or more' : ''} scheduled tick${ticks.length === 1 && !e.more ? '' : 's'}`
    raise(
      {
        job: e.job,
        ticks,
        text: `Job '${e.job}' missed ${count}${ticks[0] ? `, the first at ${ticks[0]}` : ''}`,
      },
      ['missed'],
    )
  })

  return {
    async close() {
      for (const off of listeners.splice(0)) off()
      // a stop waits for the last alerts, but not for a receiver that never answers
      let timer: NodeJS.Timeout | undefined
      const settled = Promise.all([...inFlight]).then(() => true)
      const late = new Promise<false>((r) => {
        timer = setTimeout(() => r(false), CLOSE_MS)
      })
      if (!(await Promise.race([settled, late])))
        delivery.logger.warn(`${inFlight.size} alert deliveries still retrying at stop: left`)
      clearTimeout(timer)
    },
  }
}
