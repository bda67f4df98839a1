import pg from 'pg'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Tickwork } from '../../src/client/tickwork.js'
import { databaseUrl, freshSchema, makeTickwork } from '../helpers.js'
import {
  ADMIN,
  defaultOptions,
  fill,
  type Operation,
  operations,
  READ,
  SECRET,
  type Server,
  startServer,
} from './server.js'

const WRONG = 'wrong-Zr4Tq8Nv2Kc6Yb0Mx'

type Credential = 'none' | 'wrong' | 'read' | 'admin' | 'secret'

function headersFor(cred: Credential): Record<string, string> {
  switch (cred) {
    case 'none':
      return {}
    case 'wrong':
      return { authorization: `Bearer ${WRONG}`, 'x-cron-secret': WRONG }
    case 'read':
      return { authorization: `Bearer ${READ}` }
    case 'admin':
      return { authorization: `Bearer ${ADMIN}` }
    case 'secret':
      return { 'x-cron-secret': SECRET }
  }
}

/** What a route answers to each credential: a status, or 'ok' for anything but 401/403. */
function expected(scope: Operation['scope'], cred: Credential): number | 'ok' | '2xx' {
  if (scope === 'public') return 'ok'
  if (scope === 'cron') return cred === 'admin' || cred === 'secret' ? 'ok' : 401
  if (cred === 'none' || cred === 'wrong' || cred === 'secret') return 401
  if (cred === 'read') return scope === 'read' ? '2xx' : 403
  return 'ok'
}

/** Jobs and rows enough that a read route, given plausible parameters, answers 200. */
async function world(tw: Tickwork) {
  tw.job('report', { schedule: '0 3 * * *', window: { lookback: '1m' }, run: () => {} })
  tw.job('plain', { run: () => {} })
  await tw.start({ worker: false, scheduler: false })
  const run = await tw.enqueue('plain', null)
  await tw.enqueue('report', null, { key: 'some-key' })
  const to = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000)
  const backfill = await tw.backfill('report', {
    from: new Date(to.getTime() - 2 * 86_400_000),
    to,
  })
  return { run: run.id, backfill: backfill.id }
}

function params(template: string, ids: { run: string; backfill: string }) {
  return {
    job: template.startsWith('/trigger') ? 'plain' : 'report',
    id: template.startsWith('/api/backfills') ? ids.backfill : ids.run,
    name: 'some-lock',
    key: 'some-key',
  }
}

async function call(srv: Server, method: string, path: string, headers: Record<string, string>) {
  // a body for the routes that take one, so admin calls get past parsing where they can
  const body = method === 'get' || method === 'delete' ? undefined : '{}'
  const h = body ? { ...headers, 'content-type': 'application/json' } : headers
  return srv.req(method.toUpperCase(), path, { headers: h, raw: body })
}

describe('the auth matrix over every route of the OpenAPI document', () => {
  it('no token, wrong token, read token, admin token, cron secret', async () => {
    const tw = makeTickwork()
    const ids = await world(tw)
    const srv = await startServer(tw)
    const doc = await srv.req('GET', '/api/openapi.json')
    expect(doc.status).toBe(200)
    const ops = operations(doc.json)
    // every route the app declares: the session, 7 job routes, 11 schedule routes, 10 run
    // routes, 3 trigger routes
    expect(ops).toHaveLength(32)
    expect(ops.filter((o) => o.scope === 'cron')).toHaveLength(3)
    expect(ops.filter((o) => o.scope === 'public')).toHaveLength(0)

    const mismatches: string[] = []
    const table: string[] = []
    // admin last: its calls change things (pause, delete a lock, trigger)
    for (const cred of ['none', 'wrong', 'secret', 'read', 'admin'] as const) {
      for (const o of ops) {
        const path = fill(o.template, params(o.template, ids))
        const r = await call(srv, o.method, path, headersFor(cred))
        const want = expected(o.scope, cred)
        const ok =
          want === 'ok'
            ? r.status !== 401 && r.status !== 403
            : want === '2xx'
              ? r.status >= 200 && r.status < 300
              : r.status === want
        const line = `${o.method.toUpperCase()} ${o.template} [${o.scope}] ${cred}: ${r.status} (want ${want})`
        table.push(line)
        if (!ok) mismatches.push(`${line} ${r.text.slice(0, 200)}`)
        if (r.status === 401) {
          if (r.headers.get('www-authenticate') !== 'Bearer')
            mismatches.push(`${line}: WWW-Authenticate is ${r.headers.get('www-authenticate')}`)
          if (r.json?.error?.code !== 'UNAUTHORIZED') mismatches.push(`${line}: ${r.text}`)
        }
        if (r.status === 403 && r.json?.error?.code !== 'FORBIDDEN')
          mismatches.push(`${line}: ${r.text}`)
      }
    }
    expect(mismatches).toEqual([])
    expect(table).toHaveLength(32 * 5)
  })

  it('/healthz, /readyz, /api/openapi.json and /metrics are public, even to a wrong token', async () => {
    const tw = makeTickwork()
    tw.job('j', { run: () => {} })
    const srv = await startServer(tw)
    for (const path of ['/healthz', '/readyz', '/api/openapi.json', '/metrics']) {
      const variants: Record<string, string>[] = [{}, { authorization: `Bearer ${WRONG}` }]
      for (const headers of variants) {
        const r = await srv.req('GET', path, { headers })
        expect({ path, status: r.status }).toEqual({ path, status: 200 })
      }
    }
    expect((await srv.req('GET', '/healthz')).json).toEqual({ status: 'ok' })
    expect((await srv.req('GET', '/readyz')).json).toMatchObject({ status: 'ready', ready: true })
  })

  it('with no tokens configured, every API route is 401, even to a would-be token', async () => {
    const tw = makeTickwork()
    tw.job('report', { run: () => {} })
    const srv = await startServer(tw, {})
    const ops = operations((await srv.req('GET', '/api/openapi.json')).json)
    const statuses = new Set<string>()
    for (const o of ops.filter((x) => x.scope !== 'cron')) {
      const path = fill(o.template, { job: 'report', id: '1', name: 'x' })
      for (const token of [undefined, ADMIN, READ]) {
        const r = await srv.req(o.method.toUpperCase(), path, { token })
        statuses.add(`${r.status} ${r.json?.error?.code}`)
        expect(r.headers.get('www-authenticate')).toBe('Bearer')
      }
    }
    expect([...statuses]).toEqual(['401 UNAUTHORIZED'])
    // and the triggers are off
    const t = await srv.req('POST', '/trigger/report', { headers: { 'x-cron-secret': SECRET } })
    expect(t.status).toBe(403)
    expect(t.json.error.code).toBe('FORBIDDEN')
  })

  it('trigger endpoints: no secret, wrong secret, x-cron-secret, Bearer secret, no cronSecret', async () => {
    const tw = makeTickwork()
    tw.job('a', { run: () => {} })
    tw.job('b', { run: () => {} })
    tw.job('c', { run: () => {} })
    const srv = await startServer(tw)
    const none = await srv.req('POST', '/trigger/a')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    expect(none.json.error.code).toBe('UNAUTHORIZED')
    const wrong = await srv.req('POST', '/trigger/a', { headers: { 'x-cron-secret': WRONG } })
    expect(wrong.status).toBe(401)
    expect((await srv.req('POST', '/trigger/a', { token: WRONG })).status).toBe(401)
    // the read token is no secret
    expect((await srv.req('POST', '/trigger/a', { token: READ })).status).toBe(401)
    expect((await srv.req('GET', '/trigger/a/status', { token: READ })).status).toBe(401)
    expect(await tw.runs.counts()).toMatchObject({ waiting: 0 })

    const header = await srv.req('POST', '/trigger/a', { headers: { 'x-cron-secret': SECRET } })
    expect(header.status).toBe(202)
    expect(header.json).toEqual({ id: expect.any(String), job: 'a', status: 'started' })
    const bearer = await srv.req('POST', '/trigger/b', { token: SECRET })
    expect(bearer.status).toBe(202)
    const get = await srv.req('GET', '/trigger/c', { token: SECRET })
    expect(get.status).toBe(202)
    expect(await tw.runs.counts()).toMatchObject({ waiting: 3 })

    const off = await startServer(tw, { tokens: { admin: [ADMIN], read: [READ] } })
    const variants: Record<string, string>[] = [
      {},
      { 'x-cron-secret': SECRET },
      { authorization: `Bearer ${ADMIN}` },
    ]
    for (const headers of variants) {
      const r = await off.req('POST', '/trigger/a', { headers })
      expect(r.status).toBe(403)
      expect(r.json.error.code).toBe('FORBIDDEN')
    }
  })

  it('neither a token nor the secret appears in the log, for 401s, 403s, 4xx and a 500', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) })
    const schema = freshSchema()
    const tw = makeTickwork({ logger, schema })
    tw.job('fails', {
      retry: { attempts: 1 },
      run: ({ log }) => {
        log.info('about to fail')
        throw new Error('handler failed')
      },
    })
    tw.job('ok', { run: ({ log }) => log.info('fine') })
    await tw.start()
    const srv = await startServer(tw, { ...defaultOptions(tw), logger })

    // 401s and 403s with every credential in every place it could be sent
    const attempts: Record<string, string>[] = [
      { authorization: `Bearer ${WRONG}` },
      { authorization: `Bearer ${READ}` },
      { 'x-cron-secret': WRONG },
      { authorization: `Bearer ${SECRET}` },
      { authorization: `Basic ${ADMIN}` },
    ]
    for (const h of attempts) {
      await srv.req('POST', '/api/jobs/ok/pause', { headers: h })
      await srv.req('POST', '/trigger/ok', { headers: h })
    }
    // successes and 4xx with the right ones
    await srv.req('POST', '/trigger/ok?wait=1', { headers: { 'x-cron-secret': SECRET } })
    await srv.req('POST', '/trigger/fails?wait=1', { headers: { 'x-cron-secret': SECRET } })
    await srv.req('POST', '/api/jobs/ok/trigger', { token: ADMIN, body: { bad: 1 } })
    await srv.req('GET', '/api/runs/nope', { token: READ })
    // a 500: the database loses a table under the server
    const client = new pg.Client({ connectionString: databaseUrl() })
    await client.connect()
    try {
      await client.query(`DROP TABLE "${schema}".audit`)
    } finally {
      await client.end()
    }
    const broken = await srv.req('GET', '/api/audit', {
      token: ADMIN,
      headers: { 'x-cron-secret': SECRET },
    })
    expect(broken.status).toBe(500)
    expect(broken.json).toEqual({
      error: { code: 'INTERNAL', message: 'internal error: see the server log', details: null },
    })

    const log = lines.join('')
    // the log is there, with the 500 in full and the handlers' lines
    expect(log).toMatch(/request failed/)
    expect(log).toMatch(/audit/)
    expect(log).toMatch(/about to fail/)
    for (const secret of [ADMIN, READ, SECRET, WRONG]) expect(log).not.toContain(secret)
  })
})

describe('a database that does not answer', () => {
  it('is 503 UNAVAILABLE with Retry-After, not a 500', async () => {
    // nothing listens on port 1: every query fails to connect
    const tw = makeTickwork(
      { database: 'postgres://postgres@127.0.0.1:1/none' },
      { allowErrors: true },
    )
    const srv = await startServer(tw)
    const r = await srv.req('GET', '/api/jobs', { token: READ })
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toBe('1')
    expect(r.json.error.code).toBe('UNAVAILABLE')
    expect(r.text).not.toMatch(/127\.0\.0\.1|postgres:/)
  })
})
