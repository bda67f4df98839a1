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
  const issues: Issue[] = result.error.issues.flatMap((i) =>
    flatten(i).map(({ path, message }) => ({
      path: [prefix, ...path.map(String)].filter(Boolean).join('.'),
      message,
    })),
  )
  throw new ValidationError(`invalid ${what}`, issues)
}

/**
 * One zod issue as the fields it names. An unknown option is named by its own path, not
 * its parent's; a value no branch of a union took is explained by the branch that got
 * furthest into it (`lock.ttl: invalid duration`, not `lock: Invalid input`).
 */
function flatten(i: z.core.$ZodIssue): Array<{ path: PropertyKey[]; message: string }> {
  if (i.code === 'unrecognized_keys')
    return i.keys.map((k) => ({ path: [...i.path, k], message: 'unknown option' }))
  if (i.code === 'invalid_union' && i.errors.length > 0) {
    const depth = (branch: z.core.$ZodIssue[]) => Math.max(...branch.map((b) => b.path.length))
    const best = i.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a))
    if (depth(best) > 0)
      return best.flatMap((b) => flatten(b)).map((f) => ({ ...f, path: [...i.path, ...f.path] }))
  }
  return [{ path: i.path, message: i.message }]
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
