import { z } from 'zod'
import type { Tickwork } from '../../client/tickwork.js'
import { type AnyRoute, route } from '../route.js'
import {
  activitySchema,
  auditSchema,
  enqueuedSchema,
  jobParam,
  jobSchema,
  queryInt,
  runSchema,
  validationSchema,
} from '../schemas.js'

const duration = z.union([z.number(), z.string()]).describe("milliseconds, or '5s', '2m', '1h'")
const json = { description: 'OK' }

const enqueueBody = z
  .object({
    payload: z.unknown().optional(),
    options: z
      .object({
        delay: duration.optional(),
        runAt: z.string().optional().describe('ISO time'),
        priority: z.number().int().optional(),
        key: z.string().optional().describe('idempotency key'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .optional()

const triggerBody = z
  .object({
    payload: z.unknown().optional(),
    wait: z.boolean().optional().describe('run it in the server and answer once it ended'),
  })
  .strict()
  .optional()

/** The job routes: definitions, runs made by hand, schedules, watermarks, backfills. */
export function jobRoutes(tw: Tickwork): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/jobs',
      scope: 'read',
      tag: 'jobs',
      summary: 'Every job: definition, schedule and next fire times, backlog, last 24 h',
      responses: { 200: { ...json, schema: z.object({ jobs: z.array(jobSchema) }) } },
      handler: async () => [200, { jobs: await tw.jobs.list() }],
    }),
    route({
      method: 'get',
      path: '/api/jobs/:job',
      scope: 'read',
      tag: 'jobs',
      summary: 'One job',
      params: jobParam,
      responses: { 200: { ...json, schema: jobSchema }, 404: { description: 'unknown job' } },
      handler: async ({ params }) => [200, await tw.jobs.get(params.job)],
    }),
    route({
      method: 'post',
      path: '/api/jobs/:job/runs',
      scope: 'admin',
      tag: 'jobs',
      summary: 'Enqueue a run (source api); with a key a live run holds, that run is returned',
      params: jobParam,
      body: enqueueBody,
      responses: { 201: { description: 'enqueued', schema: enqueuedSchema } },
      handler: async ({ params, body }) => [
        201,
        await tw.enqueue(params.job, body?.payload ?? null, body?.options),
      ],
    }),
    route({
      method: 'post',
      path: '/api/jobs/:job/trigger',
      scope: 'admin',
      tag: 'jobs',
      summary: 'Run a job now (source manual); with wait, answer once the run ended',
      params: jobParam,
      body: triggerBody,
      responses: {
        202: { description: 'enqueued', schema: enqueuedSchema },
        200: { description: 'ran (wait)', schema: enqueuedSchema.extend({ run: runSchema }) },
        409: { description: 'a window run of the job is unfinished' },
      },
      handler: async ({ params, body }) => {
        const made = await tw.trigger(params.job, body?.payload ?? null, { wait: body?.wait })
        return [body?.wait ? 200 : 202, made]
      },
    }),
    route({
      method: 'get',
      path: '/api/audit',
      scope: 'read',
      tag: 'schedules',
      summary: "Operators' changes, newest first",
      query: z
        .object({ job: z.string().min(1).optional(), limit: queryInt(1, 1000).optional() })
        .strict(),
      responses: { 200: { ...json, schema: z.object({ entries: z.array(auditSchema) }) } },
      handler: async ({ query }) => [200, { entries: await tw.audit(query) }],
    }),
    route({
      method: 'post',
      path: '/api/jobs/:job/validate',
      scope: 'read',
      tag: 'jobs',
      summary: "Check a payload against the job's schema, enqueuing nothing",
      params: jobParam,
      body: z.object({ payload: z.unknown().optional() }).strict().optional(),
      responses: { 200: { ...json, schema: validationSchema } },
      handler: async ({ params, body }) => [
        200,
        await tw.jobs.validate(params.job, body?.payload ?? null),
      ],
    }),
    route({
      method: 'get',
      path: '/api/activity',
      scope: 'read',
      tag: 'jobs',
      summary: 'Finished runs per job in equal time buckets (counts, mean and longest run time)',
      query: z
        .object({
          job: z.string().min(1).optional(),
          hours: queryInt(1, 720).optional(),
          buckets: queryInt(1, 240).optional(),
        })
        .strict(),
      responses: { 200: { ...json, schema: activitySchema } },
      handler: async ({ query }) => [200, await tw.jobs.activity(query)],
    }),
  ]
}
