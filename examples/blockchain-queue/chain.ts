import { createHash } from 'node:crypto'
import { PermanentError } from 'tickwork'
import { z } from 'zod'

/** What one blockchain write carries: the payload of a `blockchain-write` run. */
export const writePayload = z
  .object({
    credential_id: z.string().min(1).max(200),
    data_hash: z.string().regex(/^(0x)?[0-9a-fA-F]{16,128}$/, 'expected a hex digest'),
    ipfs_cid: z.string().min(1).max(200),
  })
  .strict()

/** A blockchain write's payload. */
export type WritePayload = z.output<typeof writePayload>

/** What the chain answers for a write: kept as the run's result and on the credential. */
export interface Receipt {
  txHash: string
  blockNumber: number | null
  /** true when mock mode made it up */
  mock: boolean
}

const answer = z.object({ tx_hash: z.string().min(1), block_number: z.number().int().nullable() })

/**
 * The receipt mock mode gives: a hash of the payload, so the same credential always gets
 * the same one and tests can predict it.
 */
export function mockReceipt(p: WritePayload): Receipt {
  const digest = createHash('sha256')
    .update(`${p.credential_id}\n${p.data_hash}\n${p.ipfs_cid}`)
    .digest('hex')
  return { txHash: `0x${digest}`, blockNumber: null, mock: true }
}

/**
 * Writes one credential to the chain service (`POST {url}/write`). A 4xx but 408 and 429
 * means the chain refused this payload: `PermanentError`, no retry. A 5xx, a timeout
 * (`signal`) or a network error throws a plain `Error`, retried with backoff. An answer
 * that is not a receipt throws `PermanentError`.
 */
export async function writeToChain(
  url: string,
  p: WritePayload,
  signal: AbortSignal,
): Promise<Receipt> {
  const res = await fetch(`${url}/write`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(p),
    signal,
  })
  const body = (await res.json().catch(() => undefined)) as { error?: unknown } | undefined
  if (!res.ok) {
    const why = `chain service answered ${res.status}: ${String(body?.error ?? res.statusText)}`
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new PermanentError(why)
    throw new Error(why)
  }
  const r = answer.safeParse(body)
  if (!r.success) throw new PermanentError(`chain service answered no receipt: ${r.error.message}`)
  return { txHash: r.data.tx_hash, blockNumber: r.data.block_number, mock: false }
}
