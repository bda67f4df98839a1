import { z } from 'zod'
import type { Tickwork } from '../../client/tickwork.js'
import { ValidationError } from '../../errors.js'
import { TICK_OUTCOMES } from '../../schedule/ticks.js'
import { type AnyRoute, route } from '../route.js'
import {
  backfillSchema,
  idParam,
  jobParam,
  queryInt,
  scheduleSchema,
  ticksSchema,
} from '../schemas.js'

const json = { description: 'OK' }

const backfillBody = z
  .object({
    from: z.string().describe('ISO time, inclusive'),
    to: z.string().describe('ISO time, exclusive; not in the future'),
    concurrency: z.number().int().optional(),
    payload: z.unknown().optional(),
  })
  .strict()

/** A check of query values: its issues are named as the query's (query.cron). */
async function inQuery<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    throw new ValidationError(
      'invalid query',
      err.issues.map((i) => ({ ...i, path: i.path ? `query.${i.path}` : 'query' })),
    )
  }
}

/** The schedule routes: pause, resume, change and preview, ticks, watermarks, backfills. */
export function scheduleRoutes(tw: Tickwork): AnyRoute[] {
  return [
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
      summary: 'The next fire times; with cron or timezone, a preview of that change',
      params: jobParam,
      query: z
        .object({
          n: queryInt(1, 1000).optional(),
          cron: z.string().optional().describe('preview this expression instead, saving nothing'),
          timezone: z.string().optional().describe('preview this zone instead, saving nothing'),
        })
        .strict(),
      responses: { 200: { ...json, schema: z.object({ next: z.array(z.string()) }) } },
      handler: async ({ params, query: { n = 5, ...change } }) => {
        if (change.cron === undefined && change.timezone === undefined)
          return [200, { next: await tw.schedules.next(params.job, n) }]
        const next = await inQuery(() => tw.schedules.preview(params.job, change, n))
        return [200, { next }]
      },
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
      path: '/api/jobs/:job/ticks',
      scope: 'read',
      tag: 'schedules',
      summary: "The schedule's ticks, newest first (pass `next` back as `before`), and 24 h counts",
      params: jobParam,
      query: z
        .object({
          outcome: z.enum(TICK_OUTCOMES).optional(),
          before: z.string().optional().describe('ISO time'),
          limit: queryInt(1, 1000).optional(),
        })
        .strict(),
      responses: { 200: { ...json, schema: ticksSchema } },
      handler: async ({ params, query }) => [200, await tw.schedules.ticks(params.job, query)],
    }),
    route({
      method: 'get',
      path: '/api/backfills',
      scope: 'read',
      tag: 'backfills',
      summary: 'The newest backfills, of one job or all, with their progress',
      query: z
        .object({ job: z.string().min(1).optional(), limit: queryInt(1, 1000).optional() })
        .strict(),
      responses: {
        200: { ...json, schema: z.object({ backfills: z.array(backfillSchema) }) },
      },
      handler: async ({ query }) => [200, { backfills: await tw.listBackfills(query) }],
    }),
    route({
      method: 'get',
      path: '/api/backfills/:id',
      scope: 'read',
      tag: 'backfills',
      summary: "A backfill's progress",
      params: idParam,
      responses: { 200: { ...json, schema: backfillSchema } },
      handler: async ({ params }) => [200, await (await tw.getBackfill(params.id)).status()],
    }),
    route({
      method: 'post',
      path: '/api/backfills/:id/cancel',
      scope: 'admin',
      tag: 'backfills',
      summary: 'Stop a backfill: its waiting and running runs are cancelled',
      params: idParam,
      responses: { 200: { ...json, schema: backfillSchema } },
      handler: async ({ params }) => {
        const backfill = await tw.getBackfill(params.id)
        await backfill.cancel()
        return [200, await backfill.status()]
      },
    }),
  ]
}
