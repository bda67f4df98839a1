import { randomUUID } from 'node:crypto'
import {
  ConflictError,
  type Job,
  type Queryable,
  type Run,
  type RunState,
  type Tickwork,
  ValidationError,
} from 'tickwork'
import { z } from 'zod'
import { type WritePayload, writePayload } from './chain.js'
import type { BlockchainQueueOptions } from './env.js'
import { type DeadLetter, defineBlockchainJobs, WRITE_JOB } from './jobs.js'
import {
  type CredentialStatus,
  credentialStatus,
  listWrites,
  type QueueStats,
  queueStats,
} from './status.js'

export type { BlockchainQueueOptions } from './env.js'
export { DEAD_JOB, type DeadLetter, WRITE_JOB } from './jobs.js'
export type { CredentialStatus, QueueStats } from './status.js'

/** A credential to issue. */
export interface CredentialInput {
  /** default: a fresh UUID */
  id?: string
  /** the digest of the credential's document, written to the chain */
  dataHash: string
  /** where the document is pinned on IPFS */
  ipfsCid: string
}

/** What issuing answered: the credential's id and its write's run. */
export interface Issued {
  id: string
  /**
   * the run of its blockchain write: an earlier one when the credential was already
   * issued, null when retention removed that run, or when it was issued in the caller's
   * transaction (look it up with `status(id)` once that committed)
   */
  runId: string | null
  /** false when the credential already existed: nothing was written or enqueued */
  created: boolean
}

/** The handles and functions `installBlockchainQueue` returns. */
export interface BlockchainQueueApp {
  schema: string
  write: Job<WritePayload>
  dead: Job<DeadLetter>
  /**
   * Inserts the credential (blockchain_status 'pending') and enqueues its write, keyed by
   * its id, in one transaction: `tx` when given (both then commit or roll back with it),
   * else one of its own. A credential issued again with the same data changes nothing
   * (`created: false`). `priority`: higher is written first. Throws `ValidationError` for
   * bad input, `ConflictError` when the id exists with other data.
   */
  issueCredential(
    input: CredentialInput,
    options?: { tx?: Queryable; priority?: number },
  ): Promise<Issued>
  /**
   * Puts a failed credential back to 'pending' and enqueues a new write, in one
   * transaction (the way back from the dead-letter queue, once the cause is fixed).
   * Throws `ConflictError` when the credential is unknown or not failed.
   */
  retryCredential(id: string): Promise<Issued>
  /** A credential's status and its write's state, attempts and errors; `undefined` when unknown. */
  status(id: string): Promise<CredentialStatus | undefined>
  /** Runs of the write and dead-letter jobs by state, and credentials by blockchain status. */
  stats(): Promise<QueueStats>
  /** The newest write runs in one state (summaries: no payload or result), at most `limit` (50). */
  list(state: RunState, limit?: number): Promise<Run[]>
}

const input = z
  .object({
    id: z.string().min(1).max(200).optional(),
    dataHash: writePayload.shape.data_hash,
    ipfsCid: writePayload.shape.ipfs_cid,
  })
  .strict()

const ddl = (s: string) => `
  CREATE SCHEMA IF NOT EXISTS ${s};
  CREATE TABLE IF NOT EXISTS ${s}.credentials (
    id text PRIMARY KEY,
    data_hash text NOT NULL,
    ipfs_cid text NOT NULL,
    blockchain_status text NOT NULL DEFAULT 'pending'
      CHECK (blockchain_status IN ('pending', 'confirmed', 'failed')),
    -- one transaction confirms one credential: a hash seen twice is the chain's error
    tx_hash text UNIQUE,
    block_number bigint,
    blockchain_error text,
    issued_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (blockchain_status <> 'confirmed' OR tx_hash IS NOT NULL)
  );`

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  throw new ValidationError(
    `invalid ${what}`,
    r.error.issues.map((i) => ({ path: i.path.join('.') || what, message: i.message })),
  )
}

/**
 * Creates the app's schema and `credentials` table (idempotent) and defines
 * `blockchain-write` and `blockchain-write-dead` on `tw`; call before `tw.start()`.
 * Throws `ValidationError` when neither `chainUrl` nor `mock` is given, or for a bad schema name.
 */
export async function installBlockchainQueue(
  tw: Tickwork,
  options: BlockchainQueueOptions,
): Promise<BlockchainQueueApp> {
  const schema = options.schema ?? 'blockchain_queue'
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(schema))
    throw new ValidationError('invalid blockchain queue options', [
      { path: 'schema', message: 'expected lower-case letters, digits and _, at most 50' },
    ])
  const { chainUrl, mock = false } = options
  if (!mock && !chainUrl)
    throw new ValidationError('invalid blockchain queue options', [
      { path: 'chainUrl', message: 'required unless mock is on (BLOCKCHAIN_SERVICE_URL)' },
    ])
  const s = `"${schema}"`
  await tw.transaction(async (tx) => {
    // processes starting together would race on CREATE TABLE IF NOT EXISTS
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tickwork-example:${schema}`])
    await tx.exec(ddl(s))
  })

  const { write, dead } = defineBlockchainJobs(tw, s, {
    url: chainUrl,
    mock,
    timeoutMs: options.timeoutMs ?? 30_000,
  })

  const enqueueWrite = (tx: Queryable, p: WritePayload, priority?: number) =>
    write.enqueue(p, { tx, key: p.credential_id, priority })

  const issueIn = async (
    tx: Queryable,
    c: z.output<typeof input>,
    priority: number | undefined,
  ): Promise<Issued> => {
    const id = c.id ?? randomUUID()
    const payload = { credential_id: id, data_hash: c.dataHash, ipfs_cid: c.ipfsCid }
    const now = new Date(tw.now())
    const inserted = await tx.query(
      `INSERT INTO ${s}.credentials (id, data_hash, ipfs_cid, blockchain_status, issued_at, updated_at)
       VALUES ($1, $2, $3, 'pending', $4, $4)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, c.dataHash, c.ipfsCid, now],
    )
    if (inserted.rows.length > 0) {
      const run = await enqueueWrite(tx, payload, priority)
      return { id, runId: run.id, created: true }
    }
    // issued before: its write is queued, done or failed already; enqueueing again would
    // write a completed credential twice
    const { rows } = await tx.query<{ data_hash: string; ipfs_cid: string }>(
      `SELECT data_hash, ipfs_cid FROM ${s}.credentials WHERE id = $1`,
      [id],
    )
    const had = rows[0]
    if (had && (had.data_hash !== c.dataHash || had.ipfs_cid !== c.ipfsCid))
      throw new ConflictError(`credential ${id} was issued with other data`)
    // the earlier run is looked up once the transaction is over: tickwork's own calls
    // wait for a connection, and the embedded store's only one is held by `tx`
    return { id, runId: null, created: false }
  }

  return {
    schema,
    write,
    dead,
    async issueCredential(credential, opts = {}) {
      const c = check(input, credential, 'credential')
      if (opts.tx) return issueIn(opts.tx, c, opts.priority)
      const issued = await tw.transaction((tx) => issueIn(tx, c, opts.priority))
      if (issued.created) return issued
      const run = await tw.runs.getByKey(WRITE_JOB, issued.id)
      return { ...issued, runId: run?.id ?? null }
    },
    async retryCredential(id) {
      return tw.transaction(async (tx) => {
        const { rows } = await tx.query<{ data_hash: string; ipfs_cid: string }>(
          `UPDATE ${s}.credentials
           SET blockchain_status = 'pending', blockchain_error = NULL, updated_at = $2
           WHERE id = $1 AND blockchain_status = 'failed'
           RETURNING data_hash, ipfs_cid`,
          [id, new Date(tw.now())],
        )
        const c = rows[0]
        if (!c) throw new ConflictError(`credential ${id} is unknown or not failed`)
        const run = await enqueueWrite(tx, {
          credential_id: id,
          data_hash: c.data_hash,
          ipfs_cid: c.ipfs_cid,
        })
        return { id, runId: run.id, created: run.created }
      })
    },
    status: (id) => credentialStatus(tw, s, id),
    stats: () => queueStats(tw, s),
    list: (state, limit) => listWrites(tw, state, limit),
  }
}
