import { afterEach } from 'vitest'
import type { Tickwork } from '../../src/client/tickwork.js'
import { createApp, type HttpOptions } from '../../src/http/app.js'
import { type Listening, serve } from '../../src/http/serve.js'
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js'

// Credentials long and odd enough that finding one in a log cannot be a coincidence.
export const ADMIN = 'adm-7Qx2PzK9wLm4Rt8VbN3c'
export const READ = 'rd-5Hj8GfT1sYq6EoU0aZk2'
export const SECRET = 'cron-9Wv3XeB7nMa1LcD4pQs6'

/** A reply, with its body read once: `json` when it parses, `text` always. */
export interface Reply {
  status: number
  headers: Headers
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read any shape
  json: any
}

export interface Server {
  base: string
  port: number
  metrics: Metrics | undefined
  /** A request to the server; `body` is sent as JSON unless `raw` is given. */
  req(
    method: string,
    path: string,
    options?: {
      token?: string
      body?: unknown
      raw?: string
      headers?: Record<string, string>
    },
  ): Promise<Reply>
  close(): Promise<void>
}

const open: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((close) => close()))
})

/** The default options of the tests: both token kinds, a cron secret and metrics. */
export function defaultOptions(tw: Tickwork): HttpOptions {
  return {
    tokens: { admin: [ADMIN], read: [READ] },
    cronSecret: SECRET,
    metrics: createMetrics(tw, { defaultMetrics: false }),
  }
}

/** Serves `createApp(tw, options)` on a free port of 127.0.0.1; closed after the test. */
export async function startServer(tw: Tickwork, options?: HttpOptions): Promise<Server> {
  const o = options ?? defaultOptions(tw)
  const app = createApp(tw, o)
  const listening: Listening = await serve(app, { port: 0, hostname: '127.0.0.1' })
  const metrics = o.metrics || undefined
  const close = async () => {
    metrics?.close()
    await listening.close()
  }
  open.push(close)
  const base = `http://127.0.0.1:${listening.port}`
  return {
    base,
    port: listening.port,
    metrics,
    close,
    async req(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
      let body: string | undefined
      if (options.raw !== undefined) body = options.raw
      else if (options.body !== undefined) {
        body = JSON.stringify(options.body)
        headers['content-type'] ??= 'application/json'
      }
      const res = await fetch(base + path, { method, headers, body })
      const text = await res.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, headers: res.headers, text, json }
    },
  }
}

/** A promise and its resolver: a handler waits on it until the test opens the gate. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {}
  const promise = new Promise<void>((r) => {
    open = r
  })
  return { promise, open }
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { security?: unknown[]; parameters?: unknown[] }>>
  components: { schemas: Record<string, unknown> }
}

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string
  /** OpenAPI style: `/api/jobs/{job}` */
  template: string
  /** needs credentials of this kind */
  scope: 'public' | 'read' | 'admin' | 'cron'
  op: {
    security?: Array<Record<string, unknown>>
    parameters?: Array<{ name: string; in: string; required: boolean }>
    requestBody?: unknown
    responses: Record<string, unknown>
  }
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete']

// The policy the auth matrix holds the server to: a read token may GET, and may POST
// only to these, which change nothing.
const READ_WRITES = new Set(['post /api/jobs/{job}/validate'])

/**
 * Every operation of the document, with the scope its security implies: cron when it
 * takes the cron secret, admin for a method that is not GET under /api (the only
 * admin routes) but for the READ_WRITES, read for the other bearer routes.
 */
export function operations(doc: unknown): Operation[] {
  const d = doc as OpenApiDoc
  const out: Operation[] = []
  for (const [template, item] of Object.entries(d.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue
      const o = op as Operation['op']
      const security = o.security ?? []
      const names = security.flatMap((s) => Object.keys(s))
      const scope: Operation['scope'] = names.includes('cronSecret')
        ? 'cron'
        : names.length === 0
          ? 'public'
          : method === 'get' || READ_WRITES.has(`${method} ${template}`)
            ? 'read'
            : 'admin'
      out.push({ method, template, scope, op: o })
    }
  }
  return out
}

/** Fills a template's path parameters from `values` (or '1'). */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? '1'),
  )
}
