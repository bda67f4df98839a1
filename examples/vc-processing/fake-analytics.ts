import { type Fake, type Reply, startFake } from '../shared/fake.js'
import type { VcRecord } from './analytics.js'

const SLOT_MS = 20 * 60_000
/** the demo documents are doc-1 … doc-10; the fake also names doc-11 and doc-12, which do not exist */
export const DEMO_DOCUMENTS = 10
const NAMED_DOCUMENTS = 12

/**
 * The fake's records for `[from, to)`: one every 20 minutes of absolute time, so any
 * split of a span into windows yields each record exactly once. Every 12 slots two name
 * a missing document; every 5th slot has a type the mapping does not know.
 */
export function demoRecords(from: Date, to: Date): VcRecord[] {
  const out: VcRecord[] = []
  for (let t = Math.ceil(from.getTime() / SLOT_MS) * SLOT_MS; t < to.getTime(); t += SLOT_MS) {
    const n = t / SLOT_MS
    out.push({
      id: `evt-${n}`,
      type: n % 5 === 4 ? 'record_revoked' : 'record_anchored',
      document_id: `doc-${(n % NAMED_DOCUMENTS) + 1}`,
      vc_public_id: `vc-${n.toString(36)}`,
      created_at: new Date(t).toISOString(),
    })
  }
  return out
}

/** What the next answer is instead of a summary: a status, a hang past any timeout, or junk. */
export type Failure = number | 'hang' | 'malformed'

/** The fake analytics API, with the windows it was asked for and failure injection. */
export interface FakeAnalytics extends Fake {
  /** every summary request, in order, as ISO strings */
  requests: Array<{ from: string; to: string }>
  /** the next `times` answers (default 1) fail so */
  failNext(failure: Failure, times?: number): void
  /** share (0..1) of answers that are a 503, at random; default 0 */
  failureRate: number
  /** delay before each answer, in ms; default 0 */
  latencyMs: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

/**
 * Starts the fake Dhiway analytics API. `records` chooses what a window holds (default
 * `demoRecords`). A 'hang' answers only after 10 s, long past the client's timeout.
 */
export async function startFakeAnalytics(
  options: { records?: (from: Date, to: Date) => VcRecord[] } = {},
): Promise<FakeAnalytics> {
  const records = options.records ?? demoRecords
  const queued: Failure[] = []
  const state = {
    requests: [] as Array<{ from: string; to: string }>,
    failureRate: 0,
    latencyMs: 0,
  }
  const fake = await startFake(async (req): Promise<Reply> => {
    const m = /^\/analytics\/summaryForVC\/([^/]+)\/([^/]+)$/.exec(req.url.pathname)
    if (req.method !== 'GET' || !m) return { status: 404, body: { error: 'not found' } }
    const from = new Date(decodeURIComponent(m[1] as string))
    const to = new Date(decodeURIComponent(m[2] as string))
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
      return { status: 400, body: { error: 'from and to must be ISO timestamps' } }
    state.requests.push({ from: from.toISOString(), to: to.toISOString() })
    if (state.latencyMs > 0) await sleep(state.latencyMs)
    const failure = queued.shift()
    if (failure === 'hang') {
      await sleep(10_000)
      return { status: 504 }
    }
    if (failure === 'malformed') return { status: 200, body: { data: [{ id: 42 }] } }
    if (typeof failure === 'number') return { status: failure, body: { error: 'injected' } }
    if (Math.random() < state.failureRate) return { status: 503, body: { error: 'unavailable' } }
    return { status: 200, body: { data: records(from, to) } }
  })
  return Object.assign(state, {
    url: fake.url,
    close: fake.close,
    failNext(failure: Failure, times = 1) {
      for (let i = 0; i < times; i++) queued.push(failure)
    },
  })
}
