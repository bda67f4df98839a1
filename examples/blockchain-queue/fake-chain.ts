import { randomBytes } from 'node:crypto'
import { type Fake, gate, type Reply, startFake } from '../shared/fake.js'
import { type WritePayload, writePayload } from './chain.js'

/** How the fake chain behaves; every field may be changed while it runs. */
export interface FakeChainOptions {
  /** 0..1: the share of writes answered 503; default 0 */
  failureRate?: number
  /** how long each write takes, in ms; default 0 */
  latencyMs?: number
  /** where failures are drawn from; default Math.random */
  random?: () => number
}

/** A write the fake chain received, with what it answered once it did. */
export interface ChainCall {
  payload: WritePayload
  reply?: Reply
}

/** The fake chain service, with its knobs and what it saw. */
export interface FakeChain extends Fake {
  options: Required<FakeChainOptions>
  /** writes received, in arrival order (answered or not yet) */
  calls: ChainCall[]
  /** writes being answered right now, and the most there ever were at once */
  inFlight: number
  maxInFlight: number
  /** the next writes answer these, one each, before the failure rate is consulted */
  next: Reply[]
  /** credentials the chain refuses for good (answered 422) */
  rejected: Set<string>
  /** holds every write until the returned function is called */
  hold(): () => void
}

/**
 * Starts a fake of the blockchain service: `POST /write` with a credential's payload
 * answers `{ tx_hash, block_number }` (a fresh random hash, blocks counting up), 503 at
 * `failureRate`, 422 for a rejected credential, 400 for a malformed payload.
 */
export async function startFakeChain(options: FakeChainOptions = {}): Promise<FakeChain> {
  let block = 1000
  const held = gate()
  const state = {
    options: { failureRate: 0, latencyMs: 0, random: Math.random, ...options },
    calls: [] as ChainCall[],
    inFlight: 0,
    maxInFlight: 0,
    next: [] as Reply[],
    rejected: new Set<string>(),
  }
  const decide = (p: WritePayload): Reply => {
    const forced = state.next.shift()
    if (forced) return forced
    if (state.rejected.has(p.credential_id))
      return { status: 422, body: { error: `credential ${p.credential_id} rejected by the chain` } }
    if (state.options.random() < state.options.failureRate)
      return { status: 503, body: { error: 'chain node unavailable' } }
    block += 1
    return {
      status: 200,
      body: { tx_hash: `0x${randomBytes(32).toString('hex')}`, block_number: block },
    }
  }
  const fake = await startFake(async (req) => {
    if (req.method !== 'POST' || req.url.pathname !== '/write')
      return { status: 404, body: { error: 'not found' } }
    const parsed = writePayload.safeParse(req.body)
    if (!parsed.success) return { status: 400, body: { error: parsed.error.message } }
    const call: ChainCall = { payload: parsed.data }
    state.calls.push(call)
    state.inFlight += 1
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
    try {
      if (state.options.latencyMs > 0)
        await new Promise((r) => setTimeout(r, state.options.latencyMs))
      await held.pass()
      call.reply = decide(parsed.data)
      return call.reply
    } finally {
      state.inFlight -= 1
    }
  })
  return Object.assign(state, fake, { hold: held.hold })
}
