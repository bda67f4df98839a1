import type { Tx } from '../store/db.js'
import { insertRuns, type NewRun } from './enqueue.js'
import { type ActiveRun, claimed, type FetchRow, toActive } from './fetch.js'
import { fileIntoHistory } from './history.js'
import type { QueueStore } from './store.js'
import type { AttemptError } from './types.js'

/**
 * Who may end an active run: the worker holding this attempt, or (`worker: null`) the
 * sweeper, once the lease has lapsed.
 */
export interface Holder {
  id: string
  attempt: number
  worker: string | null
}

const HELD = `id = $1 AND attempt = $2 AND state = 'active'
  AND (CASE WHEN $3::text IS NULL THEN lease_until < $5 ELSE worker = $3 END)`

const retrySql = (s: string) => `
  UPDATE ${s}.runs
  SET state = 'waiting', run_at = $6, errors = errors || $4::jsonb, worker = NULL,
      lease_until = NULL
  WHERE ${HELD}
  RETURNING id`

/** Puts a failed attempt back to wait until `retryAt`, keeping its error. */
export async function scheduleRetry(
  store: QueueStore,
  holder: Holder,
  error: AttemptError,
  retryAt: Date,
): Promise<boolean> {
  const { rows } = await store.db.query(retrySql(store.s), [
    holder.id,
    holder.attempt,
    holder.worker,
    JSON.stringify([error]),
    new Date(store.clock.now()),
    retryAt,
  ])
  return rows.length > 0
}

const failSql = (s: string) => `
  WITH done AS (
    DELETE FROM ${s}.runs WHERE ${HELD}
    RETURNING *
  ), filed AS (
    ${fileIntoHistory(s, { state: "'failed'", errors: 'errors || $4::jsonb', finishedAt: '$5' })}
  )
  SELECT ${claimed} FROM done r`

/** Called in the transaction that fails a run for good: the job's `onFailed`. */
export type OnFailed = (tx: Tx, run: ActiveRun) => Promise<unknown> | unknown

/**
 * Fails a run for good, keeping the attempt's error. With a dead-letter run, that run
 * is enqueued in the same transaction, carrying the original payload and the error;
 * `onFailed` runs in it too, and its throwing rolls it all back. Returns false when
 * the run was no longer this holder's.
 */
export async function failRun(
  store: QueueStore,
  holder: Holder,
  error: AttemptError,
  deadLetter: { job: string; run: Omit<NewRun, 'payload'> } | null,
  job: string,
  onFailed?: OnFailed,
): Promise<boolean> {
  return store.db.transaction(async (tx) => {
    const { rows } = await tx.query<FetchRow>(failSql(store.s), [
      holder.id,
      holder.attempt,
      holder.worker,
      JSON.stringify([error]),
      new Date(store.clock.now()),
    ])
    const failed = rows[0]
    if (!failed) return false
    if (deadLetter) {
      const payload = {
        job,
        runId: holder.id,
        payload: failed.payload,
        error,
        attempts: holder.attempt,
      }
      await insertRuns(store, tx, deadLetter.job, [{ ...deadLetter.run, payload }])
    }
    await onFailed?.(tx, toActive(failed))
    return true
  })
}

/** The stored form of an attempt's error. */
export function attemptError(err: unknown, attempt: number, at: number): AttemptError {
  const e =
    err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err))
  return {
    attempt,
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    at: new Date(at).toISOString(),
  }
}
