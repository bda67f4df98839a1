import { z } from 'zod'
import type { AnyRoute } from './route.js'
import { errorSchema } from './schemas.js'

type Json = Record<string, unknown>

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json
  return rest
}

function parameters(route: AnyRoute): Json[] {
  const out: Json[] = []
  for (const [where, shape] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!shape) continue
    for (const [name, field] of Object.entries(shape.shape as Record<string, z.ZodType>)) {
      out.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        schema: jsonSchema(field, 'input'),
      })
    }
  }
  return out
}

const SECURITY: Record<AnyRoute['scope'], Json[] | undefined> = {
  public: [],
  read: [{ bearer: [] }],
  admin: [{ bearer: [] }],
  cron: [{ cronSecret: [] }, { bearer: [] }],
}

/**
 * The OpenAPI 3.1 document of the routes, built from the very schemas that validate
 * their requests.
 */
export function openApiDocument(routes: AnyRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {}
  const components: Record<string, Json> = { Error: jsonSchema(errorSchema, 'output') }
  // named schemas (Run, Job…) land once in components and are referenced from there
  const ref = (schema: z.ZodType): Json => {
    const id = (schema.meta() as { id?: string } | undefined)?.id
    if (!id) return jsonSchema(schema, 'output')
    components[id] ??= (() => {
      const { id: _id, ...s } = jsonSchema(schema, 'output')
      return s
    })()
    return { $ref: `#/components/schemas/${id}` }
  }
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}')
    const responses: Json = {}
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = res.schema
        ? {
            description: res.description,
            content: { 'application/json': { schema: ref(res.schema) } },
          }
        : {
            description: res.description,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          }
    }
    responses.default = {
      description: 'an error: 400 bad input, 401/403 auth, 404, 409 conflict, 429 locked',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    }
    const op: Json = {
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[/:-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: r.summary,
      tags: [r.tag],
      security: SECURITY[r.scope],
      parameters: parameters(r),
      responses,
    }
    if (r.body) {
      op.requestBody = {
        required: !r.body.safeParse(undefined).success,
        content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
      }
    }
    paths[path] ??= {}
    ;(paths[path] as Record<string, Json>)[r.method] = op
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tickwork',
      version,
      description: 'Cron schedules and durable background jobs: inspect and steer them.',
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'an API token: read (TICKWORK_READ_TOKEN) or admin (TICKWORK_API_TOKEN)',
        },
        cronSecret: { type: 'apiKey', in: 'header', name: 'x-cron-secret' },
      },
    },
  }
}
