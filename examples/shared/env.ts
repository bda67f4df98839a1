import { nextFireTimes, ValidationError } from 'tickwork'
import { z } from 'zod'

/** The environment as the apps take it: `process.env` or a test's plain object. */
export type Env = Record<string, string | undefined>

/**
 * Parses the variables `schema` names out of `env`, an empty one counting as unset (a
 * `.env` file's `NAME=` means "use the default", not "the empty string"). Returns the
 * parsed values. Throws tickwork's `ValidationError` (`invalid <what>`) with one issue per
 * bad variable: the path is the variable's name, the message the reason and the value got.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: Env, what: string): z.output<S> {
  const given: Env = Object.fromEntries(
    Object.keys(schema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])),
  )
  const parsed = schema.safeParse(given)
  if (parsed.success) return parsed.data
  throw new ValidationError(
    `invalid ${what}`,
    parsed.error.issues.map((i) => {
      const name = String(i.path[0])
      return { path: name, message: `${i.message}, got ${JSON.stringify(given[name])}` }
    }),
  )
}

// tickwork's own parser, so a variable the scheduler would refuse fails before anything starts
const cron = z
  .string()
  .trim()
  .superRefine((expr, ctx) => {
    try {
      nextFireTimes(expr, { count: 1 })
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      ctx.addIssue({
        code: 'custom',
        message: err.issues.map((i) => i.message).join('; ') || err.message,
      })
    }
  })

/**
 * A cron variable (5 or 6 fields, UTC), checked by tickwork's `nextFireTimes`; within a
 * `readEnv` schema a bad expression is reported under the variable's name with the
 * parser's reason. With `defaultCron` an unset variable gives it; without, it stays unset.
 */
export function cronSetting(defaultCron: string): z.ZodDefault<typeof cron>
export function cronSetting(): z.ZodOptional<typeof cron>
export function cronSetting(defaultCron?: string) {
  return defaultCron === undefined ? cron.optional() : cron.default(defaultCron)
}

/**
 * A whole number of `unit` (digits only: no sign, fraction or exponent) from `min` to
 * `max`, parsed to a number.
 */
export function wholeNumber(unit: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `expected a whole number of ${unit}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${min}-${max}`)
}

/** A Postgres schema name an app puts in its SQL unquoted, so only a plain identifier. */
export const schemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,49}$/, 'expected lower-case letters, digits and _, at most 50')

/** The base URL of an HTTP service (http or https only). */
export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

/**
 * Whether a demo may start work of its own (a feeder, demo runs): under `tickwork start`,
 * or outside the CLI (`TICKWORK_COMMAND` unset: a test, a process of one's own). Every
 * other command (`jobs`, `trigger`, `backfill`…) loads the config module too, and must
 * not add data or runs by doing so.
 */
export function startsDemoWork(env: Env): boolean {
  const command = env.TICKWORK_COMMAND
  return !command || command === 'start'
}
