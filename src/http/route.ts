import type { Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { ValidationError } from '../errors.js'
import { parse } from '../util/parse.js'
import type { Scope } from './auth.js'
import { UnsupportedMediaError } from './errors.js'

type Shape = z.ZodObject<z.ZodRawShape>

/**
 * One API route, declared once: the same schemas validate its requests and write its
 * part of the OpenAPI document, so the two cannot drift apart.
 */
export interface Route<P extends Shape, Q extends Shape, B extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  /** Hono style: `/api/jobs/:job` */
  path: string
  scope: Scope
  summary: string
  tag: string
  params?: P
  query?: Q
  body?: B
  /** status → what the answer holds */
  responses: Record<number, { description: string; schema?: z.ZodType }>
  handler(input: {
    params: z.output<P>
    query: z.output<Q>
    body: z.output<B>
    c: Context
  }): Promise<[ContentfulStatusCode, unknown] | Response>
}

// biome-ignore lint/suspicious/noExplicitAny: a list of routes of every shape
export type AnyRoute = Route<any, any, any>

/** Declares a route; the identity, for the types. */
export const route = <P extends Shape, Q extends Shape, B extends z.ZodType>(
  r: Route<P, Q, B>,
): Route<P, Q, B> => r

const empty = z.object({}).strict()

/** Path and query values, refused when they hold a NUL: Postgres text cannot. */
function text(values: Record<string, string>, where: string): Record<string, string> {
  const bad = Object.keys(values).filter((k) => values[k]?.includes('\0'))
  if (bad.length > 0)
    throw new ValidationError(
      `invalid ${where}`,
      bad.map((k) => ({ path: `${where}.${k}`, message: 'cannot hold a NUL character' })),
    )
  return values
}

/**
 * The JSON body of a request: absent or empty is `undefined`. Any other content type
 * is refused, not read as an empty object.
 */
async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') return undefined
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) throw new UnsupportedMediaError(type)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ValidationError('invalid body', [
      { path: 'body', message: `not valid JSON: ${(err as Error).message}` },
    ])
  }
}

/** Adds the routes to `app`, each validating its params, query and body first. */
export function mount(
  app: Hono,
  routes: AnyRoute[],
  authorize: (scope: Scope, c: Context) => void,
): void {
  for (const r of routes) {
    app.on(r.method.toUpperCase(), r.path, async (c) => {
      authorize(r.scope, c)
      const params = parse(r.params ?? empty, text(c.req.param(), 'params'), 'path', 'params')
      const query = parse(r.query ?? empty, text(c.req.query(), 'query'), 'query', 'query')
      const raw = r.body ? await readBody(c) : undefined
      const body = r.body ? parse(r.body, raw, 'body', 'body') : undefined
      const out = await r.handler({ params, query, body, c })
      if (out instanceof Response) return out
      return c.json(out[1] as object, out[0])
    })
  }
}
