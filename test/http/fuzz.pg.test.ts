import { describe, expect, it } from 'vitest'
import type { Tickwork } from '../../src/client/tickwork.js'
import { makeTickwork } from '../helpers.js'
import {
  ADMIN,
  fill,
  type Operation,
  operations,
  SECRET,
  type Server,
  startServer,
} from './server.js'

// Seeded: a failure names its seed, and FUZZ_SEED=<seed> replays it.
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101)
const REQUESTS = 300

/** mulberry32: a small PRNG, the same sequence for the same seed. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  return { next, int, pick, chance: (p: number) => next() < p }
}
type Rng = ReturnType<typeof prng>

const KEYS = [
  'payload',
  'options',
  'wait',
  'from',
  'to',
  'concurrency',
  'cron',
  'timezone',
  'value',
  'job',
  'delay',
  'runAt',
  'priority',
  'key',
  '__proto__',
  'constructor',
  '',
  '\u0000',
  'ü',
]

const STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '日本語',
  '🚀🚀',
  '\ud800',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE runs; --",
  '2026-01-01T00:00:00Z',
  '0 3 * * *',
  '* * * * * * *',
  'Europe/London',
  '5s',
  '-5s',
  'NaN',
  '1e309',
]

function randomString(r: Rng): string {
  if (r.chance(0.05)) return 'x'.repeat(100_000 + r.int(100_000))
  if (r.chance(0.5)) return r.pick(STRINGS)
  return Array.from({ length: r.int(40) }, () => String.fromCharCode(r.int(0x3000))).join('')
}

const NUMBERS = [0, -0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, -1e308, 5e-324, 2_147_483_648]

/** A random JSON value: scalars, nested arrays and objects with likely and unlikely keys. */
function randomValue(r: Rng, depth = 0): unknown {
  const kind = depth > 3 ? r.int(4) : r.int(7)
  switch (kind) {
    case 0:
      return null
    case 1:
      return r.chance(0.5)
    case 2:
      return r.pick(NUMBERS)
    case 3:
      return randomString(r)
    case 4:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1))
    default: {
      const o: Record<string, unknown> = {}
      for (let i = r.int(5); i > 0; i--) o[r.pick(KEYS)] = randomValue(r, depth + 1)
      return o
    }
  }
}

/** A body as sent: its text and content type. */
interface Body {
  text: string
  type: string
}

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`

type JsonSchema = {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  anyOf?: JsonSchema[]
  items?: JsonSchema
}

/**
 * A value near what `schema` takes: the right shape, each field of a likely type with
 * odd contents (or, now and then, anything), so checks past the first layer are reached.
 */
function nearValid(r: Rng, schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 3 || r.chance(0.15)) return randomValue(r, 2)
  if (schema.anyOf) return nearValid(r, r.pick(schema.anyOf), depth + 1)
  const type = Array.isArray(schema.type) ? r.pick(schema.type) : schema.type
  switch (type) {
    case 'object': {
      const o: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(schema.properties ?? {}))
        if (r.chance(0.7)) o[k] = nearValid(r, v, depth + 1)
      return o
    }
    case 'string':
      return r.chance(0.3) ? r.pick(DATES) : randomString(r)
    case 'number':
    case 'integer':
      return r.pick(NUMBERS)
    case 'boolean':
      return r.chance(0.5)
    case 'array':
      return [nearValid(r, schema.items, depth + 1)]
    default:
      return randomValue(r, 2)
  }
}

const DATES = [
  '2026-01-01T00:00:00Z',
  '2026-13-01',
  '1970-01-01',
  '-004714-01-01T00:00:00Z',
  '+200000-01-01T00:00:00Z',
  '0',
  '@daily',
  '*/0 * * * *',
  '0 0 30 2 *',
  'Europe/London',
  'Mars/Olympus',
]

function randomBody(r: Rng, o: Operation): Body {
  const json = 'application/json'
  const schema = (o.op.requestBody as { content?: Record<string, { schema?: JsonSchema }> })
    ?.content?.[json]?.schema
  if (schema && r.chance(0.4)) return { text: JSON.stringify(nearValid(r, schema)), type: json }
  switch (r.int(10)) {
    case 0:
      return {
        text: r.pick(['1e309', '{"payload":1e309}', '[1e309,-1e309]', '{"value":1e309}']),
        type: json,
      }
    case 1:
      return { text: r.chance(0.5) ? deep(5000) : deepObject(5000), type: json }
    case 2:
      return {
        text: r.pick(['{', '{"a":', "{'a':1}", 'undefined', '[1,]', '{"a":1}}', '\u0000', 'nul']),
        type: json,
      }
    case 3:
      return { text: JSON.stringify(randomValue(r)), type: 'text/plain' }
    case 4:
      return { text: 'payload=1&wait=true', type: 'application/x-www-form-urlencoded' }
    case 5:
      return {
        text: JSON.stringify({ payload: '\u0000', options: { key: 'k\u0000' } }),
        type: json,
      }
    case 6:
      return { text: JSON.stringify(r.pick(['', 0, [], 'x', true])), type: json }
    default:
      return {
        text: JSON.stringify(randomValue(r)),
        type: r.pick([json, json, 'application/vnd.api+json', 'application/json; charset=utf-8']),
      }
  }
}

// raw path segments: some encoded, some not; `..` segments are resolved by the URL parser
const SEGMENTS = [
  '%00',
  'a%00b',
  'x'.repeat(5000),
  '%E6%97%A5%E6%9C%AC',
  '%F0%9F%9A%80',
  '..%2F..%2Fetc',
  '../',
  '-1',
  '0',
  '1'.repeat(25),
  '9223372036854775808',
  '9223372036854775807',
  '%20',
  '%',
  '%zz',
  'job-lock%3Areport',
  "'%3B--",
]

const QUERIES = [
  'foo=1',
  'limit=abc',
  'limit=1e309',
  'limit=-1',
  'limit=1&limit=2',
  'limit=1.5',
  'n=0',
  'n=1001',
  'n=%00',
  'state=nope',
  'state=waiting&state=failed',
  'ok=maybe',
  'cursor=-5',
  `cursor=${'9'.repeat(25)}`,
  'cursor=9223372036854775808',
  'job=',
  'job=%00',
  `job=${'j'.repeat(3000)}`,
  'limit=',
  '__proto__=1',
]

interface Snapshot {
  counts: unknown
  schedules: unknown
  audit: unknown
  locks: unknown
}

async function snapshot(tw: Tickwork): Promise<string> {
  const s: Snapshot = {
    counts: await tw.runs.counts(),
    schedules: await tw.schedules.list(),
    audit: await tw.audit({ limit: 1000 }),
    locks: await tw.lock.list(),
  }
  return JSON.stringify(s)
}

function path(r: Rng, o: Operation, valid: { run: string }): string {
  const values: Record<string, string> = {}
  for (const name of ['job', 'id', 'name']) {
    // a plausible value now and then, so validation past the path is reached
    const plausible = name === 'job' ? r.pick(['report', 'plain']) : valid.run
    values[name] = r.chance(0.35) ? plausible : '\u0001'
  }
  const filled = fill(o.template, values).replace(/%01/g, () => r.pick(SEGMENTS))
  // /trigger routes: no wait, so a failed run's documented 500 cannot come up
  const queries = QUERIES.filter((q) => !o.template.startsWith('/trigger') || !q.includes('wait'))
  const q = r.chance(0.5)
    ? `?${Array.from({ length: 1 + r.int(3) }, () => r.pick(queries)).join('&')}`
    : ''
  return filled + q
}

describe('fuzz: bad bodies and parameters on every route', () => {
  it(`${REQUESTS} garbage requests (seed ${SEED}): no 5xx, JSON errors, nothing written by a 4xx`, async () => {
    const tw = makeTickwork()
    tw.job('report', { schedule: '0 3 * * *', window: { lookback: '1m' }, run: () => {} })
    tw.job('plain', { run: () => {} })
    await tw.start({ worker: false, scheduler: false, maintenance: false })
    const run = await tw.enqueue('plain', { n: 1 })
    const srv: Server = await startServer(tw)
    const ops = operations((await srv.req('GET', '/api/openapi.json')).json)
    expect(ops.length).toBeGreaterThan(20)

    const r = prng(SEED)
    const failures: string[] = []
    const statuses = new Map<number, number>()
    let before = await snapshot(tw)
    const started = Date.now()
    for (let i = 0; i < REQUESTS; i++) {
      const o = ops[i % ops.length] as Operation
      const method = o.method.toUpperCase()
      const p = path(r, o, { run: run.id })
      const body = method === 'GET' ? undefined : r.chance(0.85) ? randomBody(r, o) : undefined
      const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }
      if (body) headers['content-type'] = body.type
      const res = await fetch(srv.base + p, { method, headers, body: body?.text })
      const text = await res.text()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const what = `#${i} ${method} ${p.slice(0, 120)} body=${JSON.stringify(body?.text.slice(0, 80))} (${body?.type}) -> ${res.status} ${text.slice(0, 200)}`
      if (res.status >= 500) failures.push(what)
      let json: { error?: { code?: unknown; message?: unknown } } | undefined
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      if (res.status >= 400 && res.status < 500) {
        if (typeof json?.error?.code !== 'string' || typeof json?.error?.message !== 'string')
          failures.push(`not a JSON error: ${what}`)
        const after = await snapshot(tw)
        if (after !== before) failures.push(`a ${res.status} changed the database: ${what}`)
        before = after
      } else {
        before = await snapshot(tw)
      }
    }
    const elapsed = Date.now() - started
    console.log(
      `fuzz seed ${SEED}: ${REQUESTS} requests in ${elapsed} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    )
    expect(failures, `seed ${SEED}`).toEqual([])
    // most garbage is refused, some gets through
    expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(2)
  })
})

/** Bad inputs the fuzz found, or that it reaches too rarely: each a 4xx, nothing written. */
const TARGETED: Array<[method: string, path: string, body?: unknown]> = [
  // a NUL in a job name, a lock name or a job filter reaches Postgres, which refuses it
  ['GET', '/api/runs?job=%00'],
  ['GET', '/api/counts?job=a%00b'],
  ['GET', '/api/audit?job=%00'],
  ['GET', '/api/jobs/%00/watermark'],
  ['GET', '/api/jobs/%00/schedule/next'],
  ['POST', '/api/jobs/%00/pause'],
  ['POST', '/api/jobs/%00/resume'],
  ['PATCH', '/api/jobs/%00/schedule', { cron: '* * * * *' }],
  ['DELETE', '/api/locks/%00'],
  ['POST', '/api/runs/retry-failed', { job: '\u0000' }],
  // a NUL in a backfill's payload (enqueue refuses one with a 400)
  [
    'POST',
    '/api/jobs/report/backfill',
    { from: '2026-01-01', to: '2026-01-03', payload: '\u0000' },
  ],
  // dates JavaScript holds and Postgres cannot (before 4713 BC)
  ['POST', '/api/jobs/plain/runs', { options: { runAt: '-004714-01-01T00:00:00Z' } }],
  ['PUT', '/api/jobs/report/watermark', { value: '-004714-01-01T00:00:00Z' }],
  ['POST', '/api/runs/retry-failed', { from: '-271821-04-20T00:00:00Z' }],
  ['POST', '/api/jobs/report/backfill', { from: '-271821-04-20T00:00:00Z', to: '2026-01-03' }],
]

describe('targeted bad inputs', () => {
  it.each(TARGETED)('%s %s %j: a 4xx JSON error, nothing written', async (method, path, body) => {
    const tw = makeTickwork()
    tw.job('report', { schedule: '0 3 * * *', window: { lookback: '1m' }, run: () => {} })
    tw.job('plain', { run: () => {} })
    await tw.start({ worker: false, scheduler: false, maintenance: false })
    const srv = await startServer(tw)
    const before = await snapshot(tw)
    const r = await srv.req(method, path, { token: ADMIN, body })
    expect({ status: r.status, code: r.json?.error?.code }).toMatchObject({
      status: expect.toSatisfy((s: number) => s >= 400 && s < 500),
      code: expect.any(String),
    })
    expect(await snapshot(tw)).toBe(before)
  })
})

describe('bodies the routes refuse, exactly', () => {
  it('wrong content types: 415; invalid JSON: 400 naming body; unknown fields: 400; nothing enqueued', async () => {
    const tw = makeTickwork()
    tw.job('plain', { run: () => {} })
    const srv = await startServer(tw)
    const send = (type: string | undefined, text: string, path = '/api/jobs/plain/runs') =>
      srv.req('POST', path, {
        token: ADMIN,
        raw: text,
        headers: type ? { 'content-type': type } : {},
      })
    for (const [type, text] of [
      ['text/plain', '{"payload":1}'],
      ['application/x-www-form-urlencoded', 'payload=1'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\n1\r\n--x--'],
      ['application/jsonp', '{}'],
      [undefined, '{"payload":1}'],
    ] as const) {
      const r = await send(type, text)
      expect({ type, status: r.status, code: r.json?.error?.code }).toEqual({
        type,
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      })
    }
    for (const text of ['{', '{"payload":', "{'payload':1}", '[1,]', 'undefined']) {
      const r = await send('application/json', text)
      expect({ text, status: r.status, code: r.json?.error?.code }).toEqual({
        text,
        status: 400,
        code: 'VALIDATION',
      })
      expect(r.json.error.details.issues[0].path).toBe('body')
    }
    const unknown = await send('application/json', '{"payload":1,"extra":true}')
    expect(unknown.status).toBe(400)
    expect(unknown.json.error.details.issues).toEqual([
      { path: 'body.extra', message: 'unknown option' },
    ])
    // an admin token may trigger too
    const trig = await send('text/plain', 'hello', '/trigger/plain')
    expect(trig.status).toBe(415)
    const trig2 = await srv.req('POST', '/trigger/plain', {
      headers: { 'x-cron-secret': SECRET, 'content-type': 'text/plain' },
      raw: 'hello',
    })
    expect(trig2.status).toBe(415)
    expect(await tw.runs.counts()).toMatchObject({ waiting: 0 })
  })
})
