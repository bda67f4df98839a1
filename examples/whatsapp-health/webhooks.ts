import { type Job, PermanentError, type Tickwork, ValidationError } from 'tickwork'
import { z } from 'zod'
import { quoted } from './data.js'

/** The delivery job's name. */
export const DELIVERY_JOB = 'whatsapp-webhook-delivery'

/** An inbound WhatsApp webhook event, to be passed on downstream. */
export interface InboundEvent {
  /** Meta's id of the event; a redelivered event with the same id is one delivery */
  id: string
  connectionId: string
  type: string
  body: unknown
}

/** What delivery needs to know. */
export interface DeliverySettings {
  schema: string
  targetUrl: string
  attempts: number
  retryDelay: string
}

const deliveryPayload = z.object({ deliveryId: z.string().min(1) })

/**
 * Defines `whatsapp-webhook-delivery`: POST each event to the target; retried from
 * `retryDelay`, doubling, `attempts` in all; a 4xx other than 408 and 429 is final. A
 * delivery that fails for good is marked `dead`, with its dead record, in the very
 * transaction that fails its run.
 */
export function defineWebhooks(tw: Tickwork, d: DeliverySettings): Job {
  const q = quoted(d.schema)
  return tw.job(DELIVERY_JOB, {
    payload: deliveryPayload,
    retry: { attempts: d.attempts, backoff: 'exponential', delay: d.retryDelay, maxDelay: '6h' },
    timeout: '30s',
    concurrency: 5,
    async run({ payload, signal }) {
      const { rows } = await tw.transaction((tx) =>
        tx.query(`SELECT * FROM ${q}.webhook_deliveries WHERE id = $1`, [payload.deliveryId]),
      )
      const row = rows[0]
      if (!row) throw new PermanentError(`no delivery ${payload.deliveryId}`)
      // a retry after the downstream took it (its answer lost) sends nothing twice
      if (row.status === 'delivered') return { status: 'delivered', already: true }
      let outcome: { status: number } | { error: string }
      try {
        const res = await fetch(d.targetUrl, {
          method: 'POST',
          signal,
          headers: {
            'content-type': 'application/json',
            'x-delivery-id': row.id,
            'x-event-type': row.event_type,
          },
          body: JSON.stringify({
            id: row.id,
            connectionId: row.connection_id,
            type: row.event_type,
            body: row.body,
          }),
        })
        await res.body?.cancel()
        outcome = { status: res.status }
      } catch (err) {
        signal.throwIfAborted()
        outcome = { error: (err as Error).message }
      }
      const ok = 'status' in outcome && outcome.status < 300
      const error = ok ? null : 'status' in outcome ? `HTTP ${outcome.status}` : outcome.error
      const now = new Date(tw.now())
      await tw.transaction((tx) =>
        tx.query(
          `UPDATE ${q}.webhook_deliveries
              SET attempts = attempts + 1, last_error = COALESCE($2, last_error),
                  status = CASE WHEN $2::text IS NULL THEN 'delivered' ELSE status END,
                  delivered_at = CASE WHEN $2::text IS NULL THEN $3::timestamptz END
            WHERE id = $1`,
          [row.id, error, now],
        ),
      )
      if (error === null) return { status: 'delivered' }
      const code = 'status' in outcome ? outcome.status : 0
      if (code >= 400 && code < 500 && code !== 408 && code !== 429)
        throw new PermanentError(`downstream refused the event: ${error}`)
      throw new Error(`delivery failed: ${error}`)
    },
    // not for a delivery the downstream took: a last attempt whose process died after
    // recording it is failed by the sweeper, yet the event arrived
    async onFailed({ tx, run, payload, error }) {
      await tx.query(
        `WITH dead AS (
           UPDATE ${q}.webhook_deliveries
              SET status = 'dead', last_error = $3, attempts = GREATEST(attempts, $4)
            WHERE id = $1 AND status <> 'delivered'
            RETURNING id, attempts)
         INSERT INTO ${q}.dead_deliveries (delivery_id, run_id, attempts, error, dead_at)
         SELECT id, $2, attempts, $3, $5 FROM dead`,
        [payload.deliveryId, run.id, error.message, error.attempt, new Date(tw.now())],
      )
    },
  })
}

/**
 * Records an inbound event and enqueues its delivery in the same transaction, keyed
 * by the event id: an event Meta sends again is one delivery. Returns whether it was new.
 * Throws `ValidationError` for an event without an id, what the database throws otherwise.
 */
export async function receiveEvent(
  tw: Tickwork,
  delivery: Job,
  schema: string,
  event: InboundEvent,
): Promise<{ deliveryId: string; created: boolean; runId: string | null }> {
  const e = z
    .object({ id: z.string().min(1), connectionId: z.string().min(1), type: z.string().min(1) })
    .loose()
    .safeParse(event)
  if (!e.success)
    throw new ValidationError(
      'invalid webhook event',
      e.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    )
  return tw.transaction(async (tx) => {
    const { rows } = await tx.query(
      `INSERT INTO ${quoted(schema)}.webhook_deliveries (id, connection_id, event_type, body, received_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        event.id,
        event.connectionId,
        event.type,
        JSON.stringify(event.body ?? null),
        new Date(tw.now()),
      ],
    )
    if (rows.length === 0) return { deliveryId: event.id, created: false, runId: null }
    const run = await delivery.enqueue({ deliveryId: event.id }, { tx, key: event.id })
    return { deliveryId: event.id, created: true, runId: run.id }
  })
}
