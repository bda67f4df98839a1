import { ConflictError, NotFoundError } from '../errors.js'
import { nowDate, type QueueStore, runsChannel } from './store.js'

/** Which failed runs a bulk retry takes. */
export interface RetryFilter {
  job?: string
  /** failed at or after */
  from?: Date
  /** failed before */
  to?: Date
}

// Failed runs go back to the live table under their own id, with their attempts
// reset and their errors kept. A run whose idempotency key a live run holds now stays
// failed: two live runs under one key is what the key forbids. The insert skips those
// (ON CONFLICT), and only what it inserted leaves the history, so an enqueue racing
// the retry with the same key costs that one run its retry, not the whole batch.
const retrySql = (s: string) => `
  WITH failed AS (
    SELECT * FROM ${s}.run_history WHERE state = 'failed' AND id = ANY($1::bigint[])
  ), back AS (
    INSERT INTO ${s}.runs (id, job, payload, state, priority, run_at, key, source, attempt,
      max_attempts, backoff, timeout_ms, dead_letter, progress, errors, created_at, tick,
      window_from, window_to, window_end, backfill)
    SELECT id, job, payload, 'waiting', priority, $2, key, source, 0, max_attempts, backoff,
      timeout_ms, dead_letter, NULL, errors, created_at, tick, window_from, window_to,
      window_end, backfill
    FROM failed
    ON CONFLICT DO NOTHING
    RETURNING id, job
  ), gone AS (
    DELETE FROM ${s}.run_history h USING back WHERE h.id = back.id
  )
  SELECT id::text, (SELECT pg_notify($3, job) FROM back LIMIT 1) AS n FROM back`

// keyset over the failed runs that match, so a batch that leaves some behind (their
// key is taken) does not stop the walk
const matchSql = (s: string) => `
  SELECT id::text FROM ${s}.run_history
  WHERE state = 'failed' AND id > $1::bigint
    AND ($2::text IS NULL OR job = $2)
    AND ($3::timestamptz IS NULL OR finished_at >= $3)
    AND ($4::timestamptz IS NULL OR finished_at < $4)
  ORDER BY id LIMIT $5`

const BATCH = 1000

/**
 * Puts failed runs back in the queue, now: by ids, or all that match a filter (in
 * batches of 1000). Returns the ids put back.
 */
export async function retryFailed(
  store: QueueStore,
  filter: RetryFilter & { ids?: string[] },
): Promise<string[]> {
  const move = async (ids: string[]) => {
    const { rows } = await store.db.query<{ id: string }>(retrySql(store.s), [
      ids,
      nowDate(store),
      runsChannel(store.schema),
    ])
    return rows.map((r) => r.id)
  }
  if (filter.ids) return move(filter.ids)
  const all: string[] = []
  let cursor = '0'
  for (;;) {
    const { rows } = await store.db.query<{ id: string }>(matchSql(store.s), [
      cursor,
      filter.job ?? null,
      filter.from ?? null,
      filter.to ?? null,
      BATCH,
    ])
    if (rows.length === 0) return all
    all.push(...(await move(rows.map((r) => r.id))))
    cursor = (rows.at(-1) as { id: string }).id
    if (rows.length < BATCH) return all
  }
}

/**
 * Retries one failed run by id. Throws `NotFoundError` for an unknown id and
 * `ConflictError` for a run that is not failed, or whose key a live run now holds.
 */
export async function retryOne(store: QueueStore, id: string): Promise<void> {
  const done = await retryFailed(store, { ids: [id] })
  if (done.length > 0) return
  const { rows } = await store.db.query<{ state: string }>(
    `SELECT state FROM ${store.s}.run_history WHERE id = $1
     UNION ALL SELECT state FROM ${store.s}.runs WHERE id = $1`,
    [id],
  )
  const row = rows[0]
  if (!row) throw new NotFoundError(`run ${id} not found`, { id })
  if (row.state === 'failed') {
    throw new ConflictError(`run ${id} cannot be retried: a live run holds its idempotency key`, {
      id,
    })
  }
  throw new ConflictError(`run ${id} is ${row.state}, not failed: only failed runs are retried`, {
    id,
    state: row.state,
  })
}
