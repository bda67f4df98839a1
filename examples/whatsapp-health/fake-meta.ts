import { type Fake, gate, type Reply, startFake } from '../shared/fake.js'

/** What the fake knows of one access token. */
export interface FakeToken {
  valid: boolean
  /** when it expires; undefined: never (a system user's token) */
  expiresAt?: Date
}

/** A fake Meta Graph API: `GET /debug_token?input_token=…&access_token=…`, with injectable failures. */
export interface FakeMeta extends Fake {
  /** registers (or replaces) a token */
  setToken(token: string, info: FakeToken): void
  /** answers this status for `token` (every token when omitted) until `heal` */
  fail(status: number, token?: string): void
  /** stops the failures `fail` set */
  heal(): void
  /** every answer waits this long first */
  latencyMs: number
  /** holds every answer until the returned function is called */
  hold(): () => void
  /** the input tokens asked about, in order */
  readonly calls: string[]
}

/**
 * Starts the fake. Like the real endpoint it answers 200 with `data.is_valid` for any
 * token it is asked about (false, with error code 190, for unknown or revoked ones) and
 * `expires_at` in Unix seconds (0: never); a missing app token is a 400.
 */
export async function startFakeMeta(): Promise<FakeMeta> {
  const tokens = new Map<string, FakeToken>()
  const failures = new Map<string | undefined, number>()
  const calls: string[] = []
  const held = gate()
  const state = {
    latencyMs: 0,
  }
  const fake = await startFake(async (req): Promise<Reply> => {
    if (req.method !== 'GET' || req.url.pathname !== '/debug_token')
      return { status: 404, body: { error: { message: 'unknown path', code: 803 } } }
    const input = req.url.searchParams.get('input_token') ?? ''
    calls.push(input)
    if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs))
    await held.pass()
    if (!req.url.searchParams.get('access_token'))
      return { status: 400, body: { error: { message: 'An access token is required', code: 104 } } }
    const failure = failures.get(input) ?? failures.get(undefined)
    if (failure !== undefined)
      return { status: failure, body: { error: { message: 'Service unavailable', code: 2 } } }
    const t = tokens.get(input)
    if (!t?.valid)
      return {
        status: 200,
        body: {
          data: {
            is_valid: false,
            error: { code: 190, message: 'The access token is invalid or has been revoked' },
          },
        },
      }
    return {
      status: 200,
      body: {
        data: {
          is_valid: true,
          type: 'SYSTEM_USER',
          expires_at: t.expiresAt ? Math.floor(t.expiresAt.getTime() / 1000) : 0,
          scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'],
        },
      },
    }
  })
  return {
    ...fake,
    calls,
    setToken: (token, info) => void tokens.set(token, info),
    fail: (status, token) => void failures.set(token, status),
    heal: () => failures.clear(),
    get latencyMs() {
      return state.latencyMs
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms
    },
    hold: held.hold,
  }
}
