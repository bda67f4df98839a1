import { NotFoundError, type Run, type Tickwork } from 'tickwork'
import { quoted } from './data.js'

/** One event's delivery downstream. */
export interface Delivery {
  id: string
  connectionId: string
  eventType: string
  status: 'pending' | 'delivered' | 'dead'
  attempts: number
  lastError: string | null
  receivedAt: Date
  deliveredAt: Date | null
}

/** A delivery that ran out of attempts, kept for an operator. */
export interface DeadDelivery {
  id: number
  deliveryId: string
  /** the failed delivery run, which `retryDead` runs again */
  runId: string
  attempts: number
  error: string
  deadAt: Date
  retriedAt: Date | null
}

/**
 * Runs a dead delivery again, as an operator does: the failed run is retried (attempts
 * reset, its errors kept) and the dead record marked retried. Throws `NotFoundError` when
 * the delivery has no dead record not yet retried, and what `tw.runs.retry` throws.
 */
export async function retryDead(tw: Tickwork, schema: string, deliveryId: string): Promise<Run> {
  const q = quoted(schema)
  const { rows } = await tw.transaction((tx) =>
    tx.query<{ id: string; run_id: string }>(
      `SELECT id, run_id FROM ${q}.dead_deliveries
        WHERE delivery_id = $1 AND retried_at IS NULL ORDER BY id DESC LIMIT 1`,
      [deliveryId],
    ),
  )
  const dead = rows[0]
  if (!dead) throw new NotFoundError(`delivery ${deliveryId} has no dead record to retry`)
  const run = await tw.runs.retry(dead.run_id)
  await tw.transaction(async (tx) => {
    await tx.query(`UPDATE ${q}.dead_deliveries SET retried_at = $2 WHERE id = $1`, [
      dead.id,
      new Date(tw.now()),
    ])
    // guarded: the retried run may already have delivered it, or failed it anew
    await tx.query(
      `UPDATE ${q}.webhook_deliveries SET status = 'pending'
        WHERE id = $1 AND status = 'dead'
          AND NOT EXISTS (SELECT 1 FROM ${q}.dead_deliveries WHERE delivery_id = $1 AND id > $2)`,
      [deliveryId, dead.id],
    )
  })
  return run
}

/** Every delivery, by id. Throws what the database does. */
export async function listDeliveries(tw: Tickwork, schema: string): Promise<Delivery[]> {
  const { rows } = await tw.transaction((tx) =>
    tx.query(`SELECT * FROM ${quoted(schema)}.webhook_deliveries ORDER BY id`),
  )
  return rows.map((r) => ({
    id: r.id,
    connectionId: r.connection_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    receivedAt: r.received_at,
    deliveredAt: r.delivered_at,
  }))
}

/** Every dead record, oldest first. Throws what the database does. */
export async function listDead(tw: Tickwork, schema: string): Promise<DeadDelivery[]> {
  const { rows } = await tw.transaction((tx) =>
    tx.query(`SELECT * FROM ${quoted(schema)}.dead_deliveries ORDER BY id`),
  )
  return rows.map((r) => ({
    id: Number(r.id),
    deliveryId: r.delivery_id,
    runId: r.run_id,
    attempts: r.attempts,
    error: r.error,
    deadAt: r.dead_at,
    retriedAt: r.retried_at,
  }))
}
