import type { QueueStore } from '../queue/store.js'
import type { Tx } from '../store/db.js'

/**
 * Serialises, per job, the transactions that start window runs (a scheduler's tick, a
 * trigger): each checks for an unfinished window run only once it holds this lock,
 * so two windows from the same watermark can never both start. Released at commit.
 */
export async function lockWindows(tx: Tx, store: QueueStore, job: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `${store.schema}:window:${job}`,
  ])
}
