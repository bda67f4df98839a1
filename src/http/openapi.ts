import { z } from 'zod'
import type { AnyRoute } from './route.js'
import { errorSchema } from './schemas.js'

type Json = Record<string, unknown>

// Schemas named with `.meta({ id })` (Run, Job…) come out of zod under `$defs`; in
// an OpenAPI document they belong in components, referenced from there.
function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, Json>,
): Json {
  const {
    $schema: _,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json & { $defs?: Record<string, Json> }
  const relink = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(relink)
    if (typeof v !== 'object' || v === null) return v
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        k === '$ref' && typeof x === 'string'
          ? x.replace('#/$defs/', '#/components/schemas/')
          : relink(x),
      ]),
    )
  }
  for (const [id, def] of Object.entries($defs ?? {})) {
    const { id: _id, ...body } = relink(def) as Json
    components[id] ??= body
  }
  const { id: _id, ...out } = relink(rest) as Json
  return out
}

function parameters(route: AnyRoute, components: Record<string, Json>): Json[] {
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
        schema: jsonSchema(field, 'input', components),
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
  const components: Record<string, Json> = {}
  const ref = (schema: z.ZodType): Json => jsonSchema(schema, 'output', components)
  ref(errorSchema)
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
      parameters: parameters(r, components),
      // which token a bearer route needs: read, or admin to act
      'x-tickwork-scope': r.scope,
      responses,
    }
    if (r.body) {
      op.requestBody = {
        required: !r.body.safeParse(undefined).success,
        content: { 'application/json': { schema: jsonSchema(r.body, 'input', components) } },
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
