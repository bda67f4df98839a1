import { type AttemptError, type Job, PermanentError, type Tickwork } from 'tickwork'
import {
  mockReceipt,
  type Receipt,
  type WritePayload,
  writePayload,
  writeToChain,
} from './chain.js'

/** The job that writes a credential to the chain. */
export const WRITE_JOB = 'blockchain-write'
/** The job a write is handed to once it failed for good. */
export const DEAD_JOB = 'blockchain-write-dead'

/** What `blockchain-write-dead` is given: tickwork's dead-letter payload. */
export interface DeadLetter {
  job: string
  runId: string
  payload: WritePayload
  error: AttemptError
  attempts: number
}

/**
 * Defines `blockchain-write` (the legacy queue's limits, retries and retention; the
 * credential's status set in the transaction of the run's outcome) and its dead-letter
 * job on `tw`. `s` is the app's quoted schema. Throws `ValidationError` from `tw.job`.
 */
export function defineBlockchainJobs(
  tw: Tickwork,
  s: string,
  chain: { url: string | undefined; mock: boolean; timeoutMs: number },
): { write: Job<WritePayload>; dead: Job<DeadLetter> } {
  const write = tw.job<WritePayload, Receipt>(WRITE_JOB, {
    payload: writePayload,
    concurrency: 5,
    rateLimit: { max: 10, per: '1s' },
    retry: { attempts: 3, backoff: 'exponential', delay: '5s' },
    timeout: chain.timeoutMs,
    keep: { completed: { age: '24h', count: 1000 }, failed: { age: '7d' } },
    deadLetter: DEAD_JOB,
    run: ({ payload, signal }) =>
      chain.mock ? mockReceipt(payload) : writeToChain(chain.url as string, payload, signal),
    async onCompleted({ tx, payload, result }) {
      const { rows } = await tx.query(
        `UPDATE ${s}.credentials
         SET blockchain_status = 'confirmed', tx_hash = $2, block_number = $3,
             blockchain_error = NULL, updated_at = $4
         WHERE id = $1 RETURNING id`,
        [payload.credential_id, result.txHash, result.blockNumber, new Date(tw.now())],
      )
      // a write enqueued around issueCredential (over the API, say) has nothing to confirm
      if (rows.length === 0)
        throw new PermanentError(`no credential ${payload.credential_id} to confirm`)
    },
    async onFailed({ tx, payload, error }) {
      await tx.query(
        `UPDATE ${s}.credentials
         SET blockchain_status = 'failed', blockchain_error = $2, updated_at = $3
         WHERE id = $1`,
        [payload.credential_id, error.message, new Date(tw.now())],
      )
    },
  })

  const dead = tw.job<DeadLetter>(DEAD_JOB, {
    // the dead letter lasts as long as the failed run it stands for
    keep: { completed: { age: '7d' }, failed: { age: '7d' } },
    run: ({ payload, log }) => {
      log.error(
        { credentialId: payload.payload.credential_id, runId: payload.runId, error: payload.error },
        'blockchain write failed for good',
      )
      return { credentialId: payload.payload.credential_id, error: payload.error.message }
    },
  })
  return { write, dead }
}
