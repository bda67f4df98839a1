import { readFileSync } from 'node:fs'
import { Hono } from 'hono'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Tickwork } from '../client/tickwork.js'
import { mountDashboard } from '../dashboard/serve.js'
import { TickworkError } from '../errors.js'
import type { Metrics } from '../metrics/metrics.js'
import type { Duration } from '../util/duration.js'
import { authorize, bearer, matchesAny, type Scope } from './auth.js'
import { errorResponse, ForbiddenError, UnauthorizedError } from './errors.js'
import { mountHealth } from './health.js'
import { openApiDocument } from './openapi.js'
import { type AnyRoute, mount, route } from './route.js'
import { jobRoutes } from './routes/jobs.js'
import { runRoutes } from './routes/runs.js'
import { scheduleRoutes } from './routes/schedules.js'
import { triggerRoutes } from './routes/trigger.js'

/** What the HTTP server serves and whom it lets in. */
export interface HttpOptions {
  /** bearer tokens of the API: admin ones may act, read ones only look. None: every API call is 401 */
  tokens?: { admin?: string[]; read?: string[] }
  /** the secret `/trigger/:job` takes (Bearer or x-cron-secret); unset: triggers answer 403 */
  cronSecret?: string
  /** the time-to-live of a trigger's lock; default '1h' */
  triggerLockTtl?: Duration
  /** served at `/metrics` (public, as Prometheus scrapes); false or absent: no `/metrics` */
  metrics?: Metrics | false
  /** where failed requests are logged (never their credentials); default the instance's */
  logger?: Logger
  /** serve the dashboard at `/`; default true */
  dashboard?: boolean
}

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/**
 * The HTTP face of a `Tickwork`: the dashboard at `/`, the API under `/api` (with its
 * OpenAPI document at `/api/openapi.json`), the external-cron triggers at
 * `/trigger/:job`, `/healthz`, `/readyz` and `/metrics`. A Hono app: serve it with `serve()`, mount it in any Node
 * server, or export its `fetch` from a serverless handler.
 *
 * @example
 * const app = createApp(tw, { tokens: { admin: [process.env.TICKWORK_API_TOKEN!] } })
 * await serve(app, { port: 8080 })
 */
export function createApp(tw: Tickwork, options: HttpOptions = {}): Hono {
  const tokens = { admin: options.tokens?.admin ?? [], read: options.tokens?.read ?? [] }
  const logger = options.logger ?? tw.logger
  const routes: AnyRoute[] = [
    sessionRoute(tokens),
    ...jobRoutes(tw),
    ...scheduleRoutes(tw),
    ...runRoutes(tw),
    ...triggerRoutes(tw, options.triggerLockTtl ?? '1h'),
  ]
  const check = (scope: Scope, c: { req: { header(name: string): string | undefined } }) => {
    if (scope !== 'cron') return authorize(scope, bearer(c.req.header('authorization')), tokens)
    if (!options.cronSecret)
      throw new ForbiddenError('trigger endpoints are off: set CRON_SECRET on the server')
    const given = c.req.header('x-cron-secret') ?? bearer(c.req.header('authorization'))
    if (!given)
      throw new UnauthorizedError('missing secret (x-cron-secret or Authorization: Bearer)')
    // an admin token may trigger too: an operator's curl needs no second secret
    if (!matchesAny(given, [options.cronSecret, ...tokens.admin]))
      throw new UnauthorizedError('invalid secret')
  }

  const app = new Hono()
  app.onError((err, c) => {
    if (!(err instanceof TickworkError))
      logger.error({ err, method: c.req.method, path: c.req.path }, 'request failed')
    return errorResponse(c, err)
  })
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'NOT_FOUND',
          message: `no route ${c.req.method} ${c.req.path}`,
          details: null,
        },
      },
      404,
    ),
  )
  mountHealth(app, tw)
  const doc = openApiDocument(routes, version)
  app.get('/api/openapi.json', (c) => c.json(doc))
  if (options.metrics) {
    const metrics = options.metrics
    app.get('/metrics', async (c) =>
      c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
    )
  }
  mount(app, routes, check)
  if (options.dashboard ?? true) mountDashboard(app)
  return app
}

/** What the caller's token may do: the dashboard shows actions to admin tokens only. */
function sessionRoute(tokens: { admin: string[] }): AnyRoute {
  return route({
    method: 'get',
    path: '/api/session',
    scope: 'read',
    tag: 'session',
    summary: "The scope of the caller's token",
    responses: {
      200: { description: 'OK', schema: z.object({ scope: z.enum(['admin', 'read']) }) },
    },
    handler: async ({ c }) => {
      const token = bearer(c.req.header('authorization')) ?? ''
      return [200, { scope: matchesAny(token, tokens.admin) ? 'admin' : 'read' }]
    },
  })
}
