import { z } from 'zod'
import type { Tickwork } from '../../client/tickwork.js'
import { NotFoundError } from '../../errors.js'
import { RUN_STATES } from '../../queue/types.js'
import { type AnyRoute, route } from '../route.js'
import {
  countsSchema,
  idParam,
  itemSchema,
  jobParam,
  lockSchema,
  queryBool,
  queryInt,
  runSchema,
} from '../schemas.js'

const json = { description: 'OK' }
const states = z.enum(RUN_STATES)

async function runOrThrow(tw: Tickwork, id: string) {
  const run = await tw.runs.get(id)
  if (!run) throw new NotFoundError(`run ${id} does not exist`, { id })
  return run
}

/** The run routes: list, inspect, retry, cancel, counts, item log; locks. */
export function runRoutes(tw: Tickwork): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/runs',
      scope: 'read',
      tag: 'runs',
      summary: 'Runs, newest first; pass `next` back as `cursor` for the next page',
      query: z
        .object({
          job: z.string().min(1).optional(),
          state: states.optional(),
          limit: queryInt(1, 1000).optional(),
          cursor: z.string().optional(),
          summary: queryBool
            .optional()
            .describe('leave out payload, result, progress and error stacks (null)'),
        })
        .strict(),
      responses: {
        200: {
          ...json,
          schema: z.object({ runs: z.array(runSchema), next: z.string().optional() }),
        },
      },
      handler: async ({ query }) => [200, await tw.runs.list(query)],
    }),
    route({
      method: 'post',
      path: '/api/runs/retry-failed',
      scope: 'admin',
      tag: 'runs',
      summary: 'Put back every failed run of a job (or all), failed within [from, to)',
      body: z
        .object({
          job: z.string().min(1).optional(),
          from: z.string().optional().describe('ISO time'),
          to: z.string().optional().describe('ISO time'),
        })
        .strict()
        .optional(),
      responses: { 200: { ...json, schema: z.object({ retried: z.array(z.string()) }) } },
      handler: async ({ body }) => {
        return [200, { retried: await tw.runs.retryFailed(body ?? {}) }]
      },
    }),
    route({
      method: 'get',
      path: '/api/runs/:id',
      scope: 'read',
      tag: 'runs',
      summary: 'One run: state, payload, result, progress, every error, timing, source',
      params: idParam,
      responses: { 200: { ...json, schema: runSchema }, 404: { description: 'no such run' } },
      handler: async ({ params }) => [200, await runOrThrow(tw, params.id)],
    }),
    route({
      method: 'get',
      path: '/api/jobs/:job/by-key/:key',
      scope: 'read',
      tag: 'runs',
      summary:
        "The newest run of a job enqueued with an idempotency key: a record's job status by the record's id",
      params: jobParam.extend({ key: z.string().min(1).max(512) }),
      responses: {
        200: { ...json, schema: runSchema },
        404: { description: 'no run of the job has that key' },
      },
      handler: async ({ params }) => {
        const run = await tw.runs.getByKey(params.job, params.key)
        if (!run)
          throw new NotFoundError(`no run of job ${params.job} has key ${params.key}`, params)
        return [200, run]
      },
    }),
    route({
      method: 'get',
      path: '/api/runs/:id/items',
      scope: 'read',
      tag: 'runs',
      summary: "The run's item log (newest first, up to limit) and the counts of all of it",
      params: idParam,
      query: z.object({ ok: queryBool.optional(), limit: queryInt(1, 10_000).optional() }).strict(),
      responses: {
        200: {
          ...json,
          schema: z.object({
            items: z.array(itemSchema),
            counts: z.object({ ok: z.number().int(), failed: z.number().int() }),
          }),
        },
      },
      handler: async ({ params, query }) => {
        await runOrThrow(tw, params.id)
        const [items, counts] = await Promise.all([
          tw.items.list({ run: params.id, ...query }),
          tw.items.counts(params.id),
        ])
        return [200, { items, counts }]
      },
    }),
    route({
      method: 'post',
      path: '/api/runs/:id/retry',
      scope: 'admin',
      tag: 'runs',
      summary: 'Put a failed run back in the queue, attempts reset',
      params: idParam,
      responses: { 200: { ...json, schema: runSchema }, 409: { description: 'not failed' } },
      handler: async ({ params }) => [200, await tw.runs.retry(params.id)],
    }),
    route({
      method: 'post',
      path: '/api/runs/:id/cancel',
      scope: 'admin',
      tag: 'runs',
      summary: "Cancel a waiting or active run; an active handler's signal aborts",
      params: idParam,
      responses: { 200: { ...json, schema: runSchema }, 409: { description: 'already ended' } },
      handler: async ({ params }) => [200, await tw.runs.cancel(params.id)],
    }),
    route({
      method: 'get',
      path: '/api/counts',
      scope: 'read',
      tag: 'runs',
      summary: 'Runs by state, of one job or all',
      query: z.object({ job: z.string().min(1).optional() }).strict(),
      responses: { 200: { ...json, schema: countsSchema } },
      handler: async ({ query }) => [200, await tw.runs.counts(query.job)],
    }),
    route({
      method: 'get',
      path: '/api/locks',
      scope: 'read',
      tag: 'locks',
      summary: 'Every lease held now (trigger locks are job-lock:<job>)',
      responses: { 200: { ...json, schema: z.object({ locks: z.array(lockSchema) }) } },
      handler: async () => [200, { locks: await tw.lock.list() }],
    }),
    route({
      method: 'delete',
      path: '/api/locks/:name',
      scope: 'admin',
      tag: 'locks',
      summary: 'Free a lock whoever holds it',
      params: z.object({ name: z.string().min(1) }),
      responses: { 200: { ...json, schema: z.object({ cleared: z.boolean() }) } },
      handler: async ({ params }) => [200, { cleared: await tw.lock.clear(params.name) }],
    }),
  ]
}
