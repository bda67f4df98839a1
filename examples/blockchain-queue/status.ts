import type { Run, RunCounts, RunState, Tickwork } from 'tickwork'
import { DEAD_JOB, WRITE_JOB } from './jobs.js'

/** Where a credential stands on the chain: its row, joined with its write's run. */
export interface CredentialStatus {
  id: string
  blockchainStatus: 'pending' | 'confirmed' | 'failed'
  txHash: string | null
  blockNumber: number | null
  /** the last attempt's error, once the write failed for good */
  error: string | null
  issuedAt: Date
  updatedAt: Date
  /** the newest write run of this credential; null once retention removed it */
  run: Pick<Run, 'id' | 'state' | 'attempt' | 'maxAttempts' | 'errors' | 'runAt' | 'result'> | null
}

/** The queue's and the credentials' numbers. */
export interface QueueStats {
  queue: RunCounts
  dead: RunCounts
  credentials: Record<CredentialStatus['blockchainStatus'], number>
}

/** A credential's status and its write's state, attempts and errors; `undefined` when unknown. */
export async function credentialStatus(
  tw: Tickwork,
  s: string,
  id: string,
): Promise<CredentialStatus | undefined> {
  const { rows } = await tw.transaction((tx) =>
    tx.query(
      // float8: pg hands bigint over as a string, PGlite as a number
      `SELECT id, blockchain_status, tx_hash, block_number::float8 AS block_number,
              blockchain_error, issued_at, updated_at
       FROM ${s}.credentials WHERE id = $1`,
      [id],
    ),
  )
  const row = rows[0]
  if (!row) return undefined
  const run = await tw.runs.getByKey(WRITE_JOB, id)
  return {
    id: row.id,
    blockchainStatus: row.blockchain_status,
    txHash: row.tx_hash,
    blockNumber: row.block_number,
    error: row.blockchain_error,
    issuedAt: row.issued_at,
    updatedAt: row.updated_at,
    run: run
      ? {
          id: run.id,
          state: run.state,
          attempt: run.attempt,
          maxAttempts: run.maxAttempts,
          errors: run.errors,
          runAt: run.runAt,
          result: run.result,
        }
      : null,
  }
}

/** Runs of the write and dead-letter jobs by state, and credentials by blockchain status. */
export async function queueStats(tw: Tickwork, s: string): Promise<QueueStats> {
  const { rows } = await tw.transaction((tx) =>
    tx.query<{ status: CredentialStatus['blockchainStatus']; n: number }>(
      `SELECT blockchain_status AS status, count(*)::int AS n FROM ${s}.credentials GROUP BY 1`,
    ),
  )
  const credentials = { pending: 0, confirmed: 0, failed: 0 }
  for (const r of rows) credentials[r.status] = r.n
  return {
    queue: await tw.runs.counts(WRITE_JOB),
    dead: await tw.runs.counts(DEAD_JOB),
    credentials,
  }
}

/** The newest write runs in one state, as summaries (no payload or result). Throws `ValidationError` for a bad limit. */
export async function listWrites(tw: Tickwork, state: RunState, limit = 50): Promise<Run[]> {
  return (await tw.runs.list({ job: WRITE_JOB, state, limit, summary: true })).runs
}
