import { z } from 'zod'
import { type Issue, ValidationError } from '../errors.js'
import { toMs } from './duration.js'

/** Parses `value` with `schema`; throws `ValidationError` naming each bad field under `prefix`. */
export function parse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  prefix = '',
): z.output<T> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  // an unknown option is named by its own path, not its parent's
  const issues: Issue[] = result.error.issues.flatMap((i) =>
    (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k]) : [i.path]).map((path) => ({
      path: [prefix, ...path.map(String)].filter(Boolean).join('.'),
      message: i.code === 'unrecognized_keys' ? 'unknown option' : i.message,
    })),
  )
  throw new ValidationError(`invalid ${what}`, issues)
}

/** A duration option (ms, or '5s', '2h'…), parsed to milliseconds. */
export const durationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return toMs(v, '')
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: (err as ValidationError).issues[0]?.message ?? 'invalid duration',
    })
    return z.NEVER
  }
})

/** A name to filter by (a job's): text Postgres can compare, so no NUL character. */
export const nameFilter = z
  .string()
  .min(1)
  .regex(/^[^\0]*$/, 'cannot hold a NUL character')
