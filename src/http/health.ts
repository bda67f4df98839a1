import type { Hono } from 'hono'
import type { Tickwork } from '../client/tickwork.js'

/**
 * `/healthz`: the process answers (liveness). `/readyz`: the database answers and its
 * schema is current (readiness), 503 otherwise, so a load balancer holds traffic back.
 */
export function mountHealth(app: Hono, tw: Tickwork): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const r = await tw.ready()
    return c.json({ status: r.ready ? 'ready' : 'not ready', ...r }, r.ready ? 200 : 503)
  })
}
