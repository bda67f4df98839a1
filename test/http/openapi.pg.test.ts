import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { makeTickwork, until } from '../helpers.js'
import {
  ADMIN,
  defaultOptions,
  gate,
  operations,
  READ,
  type Reply,
  SECRET,
  startServer,
} from './server.js'

const BASE = 'https://tickwork.test/components/'

/**
 * Points the document's `#/components/schemas/X` refs at component X, added to ajv as a
 * schema of its own (id BASE + X). Other `#/...` refs (zod's `#/$defs/X`) are left to
 * resolve within the schema that holds them, as JSON Schema reads them.
 */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase)
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
          ? BASE + v.slice('#/components/schemas/'.length)
          : rebase(v),
      ]),
    )
  }
  return schema
}

type Doc = {
  openapi: string
  paths: Record<string, Record<string, { responses: Record<string, Resp> }>>
  components: { schemas: Record<string, unknown> }
}
type Resp = { content?: { 'application/json'?: { schema: unknown } } }

/** Checks replies against the schema the document gives their route and status. */
function responseChecker(doc: Doc) {
  // strict: a keyword ajv does not know would be a mistake in the document
  const ajv = new Ajv2020({ strict: true, allErrors: true })
  for (const [name, schema] of Object.entries(doc.components.schemas))
    ajv.addSchema({ ...(rebase(schema) as object), $id: BASE + name })
  const checked: string[] = []
  return {
    checked,
    check(method: string, template: string, r: Reply) {
      const op = doc.paths[template]?.[method.toLowerCase()]
      expect(op, `${method} ${template} in the document`).toBeDefined()
      const responses = op?.responses ?? {}
      const resp = responses[String(r.status)] ?? responses.default
      const schema = resp?.content?.['application/json']?.schema
      expect(schema, `${method} ${template} ${r.status} documented`).toBeDefined()
      const validate = ajv.compile(rebase(schema) as object)
      const ok = validate(r.json)
      expect(
        ok ? [] : validate.errors,
        `${method} ${template} ${r.status}: ${r.text.slice(0, 300)}`,
      ).toEqual([])
      checked.push(`${method} ${template} ${r.status}`)
    },
  }
}

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const tw = makeTickwork()
    const srv = await startServer(tw)
    const res = await srv.req('GET', '/api/openapi.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const doc = res.json as Doc
    expect(doc.openapi).toBe('3.1.0')
    const validator = new Validator()
    const result = await validator.validate(doc)
    if (!result.valid) console.error(JSON.stringify(result.errors, null, 2))
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('every $ref resolves within the document', async () => {
    const tw = makeTickwork()
    const srv = await startServer(tw)
    const doc = (await srv.req('GET', '/api/openapi.json')).json
    const dangling: string[] = []
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') {
          let target: unknown = doc
          for (const part of v.replace(/^#\//, '').split('/'))
            target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/')]
          if (target === undefined) dangling.push(`${at}: ${v}`)
        } else walk(v, `${at}/${k}`)
      }
    }
    walk(doc, '#')
    expect(dangling).toEqual([])
  })

  it('lists every route the app serves, and only those', async () => {
    const tw = makeTickwork()
    const srv = await startServer(tw)
    const doc = (await srv.req('GET', '/api/openapi.json')).json as Doc
    const app = createApp(tw, defaultOptions(tw))
    const unlisted = new Set([
      'GET /healthz',
      'GET /readyz',
      'GET /api/openapi.json',
      'GET /metrics',
      // the dashboard's page and bundle: not API
      'GET /',
      'GET /assets/{file}',
    ])
    const served = new Set(
      app.routes
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
        .filter((r) => !unlisted.has(r)),
    )
    const documented = new Set(
      operations(doc).map((o) => `${o.method.toUpperCase()} ${o.template}`),
    )
    expect([...documented].sort()).toEqual([...served].sort())
    expect(documented.size).toBe(32)
    // each operation has a unique id and a summary
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => (op as unknown as { operationId: string }).operationId),
    )
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('the answers match the response schemas it documents', async () => {
    const tw = makeTickwork()
    const held = gate()
    tw.job('report', { schedule: '0 3 * * *', run: () => {} })
    tw.job('sync', { schedule: '0 * * * *', window: { lookback: '1m' }, run: () => {} })
    tw.job('items', {
      run: async ({ items }) =>
        items.each(['a', 'b'], {}, async (x) => {
          if (x === 'b') throw new Error('bad b')
        }),
    })
    tw.job('held', { run: () => held.promise })
    tw.job('breaks', {
      retry: { attempts: 1 },
      run: () => {
        throw new Error('broken')
      },
    })
    await tw.start()
    const srv = await startServer(tw)
    const doc = (await srv.req('GET', '/api/openapi.json')).json as Doc
    const { check, checked } = responseChecker(doc)
    const admin = { token: ADMIN }
    const read = { token: READ }
    const cron = { headers: { 'x-cron-secret': SECRET } }
    const call = async (
      method: string,
      template: string,
      path: string,
      o: { token?: string; body?: unknown; headers?: Record<string, string> },
      status: number,
    ) => {
      const r = await srv.req(method, path, o)
      expect(r.status, `${method} ${path}: ${r.text.slice(0, 300)}`).toBe(status)
      check(method, template, r)
      return r
    }

    const enq = await call('POST', '/api/jobs/{job}/runs', '/api/jobs/breaks/runs', admin, 201)
    await until(async () => (await tw.runs.get(enq.json.id))?.state === 'failed')
    await call('POST', '/api/jobs/{job}/trigger', '/api/jobs/report/trigger', admin, 202)
    const ran = await call(
      'POST',
      '/api/jobs/{job}/trigger',
      '/api/jobs/items/trigger',
      { ...admin, body: { wait: true } },
      200,
    )
    await call(
      'POST',
      '/api/jobs/{job}/trigger',
      '/api/jobs/sync/trigger',
      { ...admin, body: { wait: true } },
      200,
    )
    await call('GET', '/api/jobs', '/api/jobs', read, 200)
    await call('GET', '/api/jobs/{job}', '/api/jobs/sync', read, 200)
    await call('GET', '/api/jobs/{job}', '/api/jobs/nope', read, 404)
    await call('GET', '/api/runs', '/api/runs?limit=2', read, 200)
    await call('GET', '/api/runs', '/api/runs?limit=0', read, 400)
    await call('GET', '/api/runs/{id}', `/api/runs/${enq.json.id}`, read, 200)
    await call('GET', '/api/runs/{id}', `/api/runs/${ran.json.id}`, read, 200)
    await call('GET', '/api/runs/{id}', '/api/runs/x', read, 400)
    await call('GET', '/api/runs/{id}/items', `/api/runs/${ran.json.id}/items`, read, 200)
    await call('POST', '/api/runs/{id}/retry', `/api/runs/${enq.json.id}/retry`, admin, 200)
    await call('POST', '/api/runs/{id}/retry', `/api/runs/${ran.json.id}/retry`, admin, 409)
    const waiting = await call(
      'POST',
      '/api/jobs/{job}/runs',
      '/api/jobs/report/runs',
      { ...admin, body: { options: { delay: '1h' } } },
      201,
    )
    await call('POST', '/api/runs/{id}/cancel', `/api/runs/${waiting.json.id}/cancel`, admin, 200)
    await tw.enqueue('report', null, { key: 'k-1', delay: '1h' })
    await call('GET', '/api/jobs/{job}/by-key/{key}', '/api/jobs/report/by-key/k-1', read, 200)
    await call('GET', '/api/jobs/{job}/by-key/{key}', '/api/jobs/report/by-key/k-2', read, 404)
    await until(async () => (await tw.runs.get(enq.json.id))?.state === 'failed')
    await call('POST', '/api/runs/retry-failed', '/api/runs/retry-failed', admin, 200)
    await call('GET', '/api/counts', '/api/counts', read, 200)
    await call('POST', '/api/jobs/{job}/pause', '/api/jobs/report/pause', admin, 200)
    await call('POST', '/api/jobs/{job}/resume', '/api/jobs/report/resume', admin, 200)
    await call(
      'PATCH',
      '/api/jobs/{job}/schedule',
      '/api/jobs/report/schedule',
      { ...admin, body: { timezone: 'Europe/London' } },
      200,
    )
    await call(
      'PATCH',
      '/api/jobs/{job}/schedule',
      '/api/jobs/report/schedule',
      { ...admin, body: { cron: 'nope' } },
      400,
    )
    await call('GET', '/api/jobs/{job}/schedule/next', '/api/jobs/report/schedule/next', read, 200)
    await call('GET', '/api/jobs/{job}/watermark', '/api/jobs/sync/watermark', read, 200)
    await call(
      'PUT',
      '/api/jobs/{job}/watermark',
      '/api/jobs/sync/watermark',
      { ...admin, body: { value: '2026-01-01T00:00:00Z' } },
      200,
    )
    await call('GET', '/api/audit', '/api/audit', read, 200)
    await call('GET', '/api/session', '/api/session', read, 200)
    await call(
      'POST',
      '/api/jobs/{job}/validate',
      '/api/jobs/report/validate',
      { ...read, body: { payload: {} } },
      200,
    )
    await call('GET', '/api/activity', '/api/activity?hours=2&buckets=4', read, 200)
    await call('GET', '/api/jobs/{job}/ticks', '/api/jobs/report/ticks?limit=1', read, 200)
    await call(
      'GET',
      '/api/jobs/{job}/schedule/next',
      '/api/jobs/report/schedule/next?cron=0%205%20*%20*%20*',
      read,
      200,
    )
    const day = 86_400_000
    const to = new Date(Math.floor(Date.now() / day) * day - day).toISOString()
    const from = new Date(Date.parse(to) - 2 * day).toISOString()
    const bf = await call(
      'POST',
      '/api/jobs/{job}/backfill',
      '/api/jobs/report/backfill',
      { ...admin, body: { from, to } },
      202,
    )
    await call('GET', '/api/backfills/{id}', `/api/backfills/${bf.json.id}`, read, 200)
    await call('GET', '/api/backfills', '/api/backfills?job=report', read, 200)
    await call(
      'POST',
      '/api/backfills/{id}/cancel',
      `/api/backfills/${bf.json.id}/cancel`,
      admin,
      200,
    )

    const trig = await call('POST', '/trigger/{job}', '/trigger/held', cron, 202)
    await call('POST', '/trigger/{job}', '/trigger/held', cron, 429)
    await call('GET', '/trigger/{job}/status', '/trigger/held/status', cron, 200)
    await call('GET', '/api/locks', '/api/locks', read, 200)
    await call('DELETE', '/api/locks/{name}', '/api/locks/job-lock%3Aheld', admin, 200)
    held.open()
    await until(async () => (await tw.runs.get(trig.json.id))?.state === 'completed')
    await call('GET', '/trigger/{job}', '/trigger/report?wait=1', cron, 200)
    await call('POST', '/trigger/{job}', '/trigger/breaks?wait=1', cron, 500)
    await call('GET', '/trigger/{job}/status', '/trigger/breaks/status', cron, 200)
    await call('GET', '/api/jobs', '/api/jobs', { token: 'nope' }, 401)
    await call('POST', '/api/jobs/{job}/pause', '/api/jobs/report/pause', read, 403)

    // every operation was checked at least once
    const covered = new Set(checked.map((c) => c.split(' ').slice(0, 2).join(' ')))
    const all = operations(doc).map((o) => `${o.method.toUpperCase()} ${o.template}`)
    expect(all.filter((o) => !covered.has(o))).toEqual([])
  })

  it('/metrics, parsed as Prometheus text, counts completed runs by job', async () => {
    const tw = makeTickwork()
    tw.job('measured', { run: () => 'ok' })
    await tw.start()
    const srv = await startServer(tw)
    const r = await srv.req('POST', '/trigger/measured?wait=1', {
      headers: { 'x-cron-secret': SECRET },
    })
    expect(r.status).toBe(200)
    await srv.req('POST', '/api/jobs/measured/trigger', { token: ADMIN, body: { wait: true } })
    const res = await fetch(`${srv.base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    const families = parsePrometheusTextFormat(text)
    const completed = families.find((f) => f.name === 'tickwork_runs_completed_total')
    expect(completed?.type).toBe('COUNTER')
    expect(completed?.metrics).toEqual([{ labels: { job: 'measured' }, value: '2' }])
    expect(families.find((f) => f.name === 'tickwork_run_duration_seconds')?.type).toBe('HISTOGRAM')
    // the parser drops a labelled histogram's labels and count: read that line as text
    expect(text).toMatch(
      /^tickwork_run_duration_seconds_count\{job="measured",outcome="completed"\} 2$/m,
    )
  })
})
