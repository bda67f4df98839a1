import { z } from 'zod'
import type { Tickwork } from '../../client/tickwork.js'
import { triggerLockName } from '../../lock/lock.js'
import type { Duration } from '../../util/duration.js'
import { type AnyRoute, route } from '../route.js'
import { jobParam, lockSchema, queryBool, runSchema } from '../schemas.js'

const wait = z
  .object({ wait: queryBool.optional().describe('1: run it in this server, answer once it ended') })
  .strict()
const started = z.object({ id: z.string(), job: z.string(), status: z.literal('started') })
const ran = z.object({ id: z.string(), job: z.string(), status: z.string(), run: runSchema })

/**
 * `/trigger/:job`: for an external cron (crontab + curl, Vercel, a Kubernetes CronJob).
 * Each call runs the job under its lock, `job-lock:<job>`, held until the run ends (at
 * most `ttl`): 202 with the run id, or 429 with Retry-After while one is unfinished.
 * With `?wait=1` the run executes in this server and the answer comes when it ended:
 * 200, or 500 when it failed, so the platform sees the failure.
 */
export function triggerRoutes(tw: Tickwork, ttl: Duration): AnyRoute[] {
  const fire = (method: 'get' | 'post') =>
    route({
      method,
      path: '/trigger/:job',
      scope: 'cron',
      tag: 'triggers',
      summary:
        method === 'get'
          ? 'Run the job now, as Vercel cron calls it (GET)'
          : 'Run the job now; a JSON body is its payload',
      params: jobParam,
      query: wait,
      body: method === 'post' ? z.unknown() : undefined,
      responses: {
        202: { description: 'started', schema: started },
        200: { description: 'ran to completion (wait)', schema: ran },
        429: { description: 'a run of this trigger is unfinished; see Retry-After' },
        500: { description: 'the run failed (wait)', schema: ran },
      },
      handler: async ({ params, query, body, c }) => {
        // Hono answers HEAD with the GET route: a probe must not start a run
        if (c.req.method === 'HEAD') return c.body(null, 405, { allow: 'GET, POST' })
        const made = await tw.trigger(params.job, body ?? null, {
          lock: { ttl },
          wait: query.wait,
          source: 'trigger',
        })
        if (!made.run) return [202, { id: made.id, job: params.job, status: 'started' }]
        const ok = made.run.state === 'completed'
        return [
          ok ? 200 : 500,
          { id: made.id, job: params.job, status: made.run.state, run: made.run },
        ]
      },
    })
  return [
    fire('post'),
    fire('get'),
    route({
      method: 'get',
      path: '/trigger/:job/status',
      scope: 'cron',
      tag: 'triggers',
      summary: "Whether the job's triggered run is unfinished, and its last run",
      params: jobParam,
      responses: {
        200: {
          description: 'OK',
          schema: z.object({
            job: z.string(),
            running: z.boolean(),
            lock: lockSchema.nullable(),
            lastRun: z.unknown(),
          }),
        },
      },
      handler: async ({ params }) => {
        const info = await tw.jobs.get(params.job)
        const lock = (await tw.lock.get(triggerLockName(params.job))) ?? null
        return [200, { job: params.job, running: lock !== null, lock, lastRun: info.lastRun }]
      },
    }),
  ]
}
