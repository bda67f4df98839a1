import { z } from 'zod'

/** One VC event as the analytics summary lists it. */
export interface VcRecord {
  id: string
  type: string
  document_id: string
  vc_public_id: string
  created_at: string
}

const recordSchema = z.object({
  id: z.string().min(1).max(512),
  type: z.string().min(1),
  document_id: z.string().min(1),
  vc_public_id: z.string().min(1),
  created_at: z.string(),
})

const summarySchema = z.object({ data: z.array(recordSchema) })

/** The analytics API did not answer with a summary: the window is to be fetched again. */
export class AnalyticsError extends Error {
  override readonly name = 'AnalyticsError'
}

/**
 * Fetches the VC events of `[from, to)` from `GET {baseUrl}/analytics/summaryForVC/{from}/{to}`,
 * giving up after `timeoutMs` or when `signal` aborts. Throws `AnalyticsError` for a
 * non-2xx answer, a timeout, an unreachable server or a body that is not a summary.
 */
export async function fetchSummary(
  baseUrl: string,
  window: { from: Date; to: Date },
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<VcRecord[]> {
  const path = [window.from, window.to].map((d) => encodeURIComponent(d.toISOString())).join('/')
  const url = `${baseUrl}/analytics/summaryForVC/${path}`
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  let res: Response
  let text: string
  try {
    res = await fetch(url, { signal: AbortSignal.any([opts.signal, timeout]) })
    text = await res.text()
  } catch (err) {
    // the run's own abort (cancel, shutdown, tickwork's timeout) is not the API's fault
    if (opts.signal.aborted) throw opts.signal.reason
    if (timeout.aborted)
      throw new AnalyticsError(`analytics API timed out after ${opts.timeoutMs} ms`)
    throw new AnalyticsError(`analytics API unreachable: ${(err as Error).message}`)
  }
  if (!res.ok) throw new AnalyticsError(`analytics API answered ${res.status}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new AnalyticsError('analytics API sent a body that is not JSON')
  }
  const parsed = summarySchema.safeParse(body)
  if (!parsed.success)
    throw new AnalyticsError(`analytics API sent a malformed summary: ${parsed.error.message}`)
  return parsed.data.data
}
