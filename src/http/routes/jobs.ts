import { z } from 'zod'
import type { Tickwork } from '../../client/tickwork.js'
import { type AnyRoute, route } from '../route.js'
import {
  auditSchema,
  backfillSchema,
  enqueuedSchema,
  jobParam,
  jobSchema,
  queryInt,
  runSchema,
  scheduleSchema,
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

const backfillBody = z
  .object({
    from: z.string().describe('ISO time, inclusive'),
    to: z.string().describe('ISO time, exclusive; not in the future'),
    concurrency: z.number().int().optional(),
    payload: z.unknown().optional(),
  })
  .strict()

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
      method: 'post',
      path: '/api/jobs/:job/backfill',
      scope: 'admin',
      tag: 'backfills',
      summary: 'Run the job for every tick of its schedule in [from, to); repeating adds nothing',
      params: jobParam,
      body: backfillBody,
      responses: { 202: { description: 'started', schema: backfillSchema } },
      handler: async ({ params, body }) => {
        const backfill = await tw.backfill(params.job, body)
        return [202, await backfill.status()]
      },
    }),
    route({
      method: 'post',
      path: '/api/jobs/:job/pause',
      scope: 'admin',
      tag: 'schedules',
      summary: 'Pause the schedule (audited)',
      params: jobParam,
      responses: { 200: { ...json, schema: scheduleSchema } },
      handler: async ({ params }) => [200, await tw.pause(params.job)],
    }),
    route({
      method: 'post',
      path: '/api/jobs/:job/resume',
      scope: 'admin',
      tag: 'schedules',
      summary: 'Resume the schedule from its next tick (audited)',
      params: jobParam,
      responses: { 200: { ...json, schema: scheduleSchema } },
      handler: async ({ params }) => [200, await tw.resume(params.job)],
    }),
    route({
      method: 'patch',
      path: '/api/jobs/:job/schedule',
      scope: 'admin',
      tag: 'schedules',
      summary: 'Change the cron expression and/or time zone, without a restart (audited)',
      params: jobParam,
      body: z.object({ cron: z.string().optional(), timezone: z.string().optional() }).strict(),
      responses: { 200: { ...json, schema: scheduleSchema } },
      handler: async ({ params, body }) => [200, await tw.schedules.update(params.job, body)],
    }),
    route({
      method: 'get',
      path: '/api/jobs/:job/schedule/next',
      scope: 'read',
      tag: 'schedules',
      summary: 'The next fire times',
      params: jobParam,
      query: z.object({ n: queryInt(1, 1000).optional() }).strict(),
      responses: { 200: { ...json, schema: z.object({ next: z.array(z.string()) }) } },
      handler: async ({ params, query }) => [
        200,
        { next: await tw.schedules.next(params.job, query.n ?? 5) },
      ],
    }),
    route({
      method: 'get',
      path: '/api/jobs/:job/watermark',
      scope: 'read',
      tag: 'windows',
      summary: "Where a windowed job's next window starts",
      params: jobParam,
      responses: {
        200: { ...json, schema: z.object({ job: z.string(), watermark: z.string().nullable() }) },
      },
      handler: async ({ params }) => [
        200,
        { job: params.job, watermark: await tw.watermark.get(params.job) },
      ],
    }),
    route({
      method: 'put',
      path: '/api/jobs/:job/watermark',
      scope: 'admin',
      tag: 'windows',
      summary: 'Move the watermark (audited); moving it back redoes those windows',
      params: jobParam,
      body: z.object({ value: z.string().describe('ISO time') }).strict(),
      responses: {
        200: { ...json, schema: z.object({ job: z.string(), watermark: z.string().nullable() }) },
      },
      handler: async ({ params, body }) => {
        await tw.watermark.set(params.job, body.value)
        return [200, { job: params.job, watermark: await tw.watermark.get(params.job) }]
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
  ]
}
