import { ValidationError } from 'tickwork'
import { z } from 'zod'
import { type Env, readEnv, schemaName } from '../shared/env.js'

/** What the reporting app is configured with (see `installReporting`). */
export interface ReportingOptions {
  /** the Postgres schema of the app's tables; default `reporting` */
  schema?: string
  /** users per batch (one item-log write, one progress report, one log line each); default 100 */
  batchSize?: number
  /** runs of one report job at once in this process (a backfill's days in parallel); default 2 */
  concurrency?: number
}

/** What the demo adds: how many users it seeds. */
export interface ReportingEnv extends Required<ReportingOptions> {
  demoUsers: number
}

const intVar = (min: number, max: number) =>
  z.coerce.number().int(`expected an integer ${min}-${max}`).min(min).max(max)

const envSchema = z.object({
  REPORTING_SCHEMA: schemaName.default('reporting'),
  REPORTING_BATCH_SIZE: intVar(1, 10_000).default(100),
  REPORTING_CONCURRENCY: intVar(1, 50).default(2),
  REPORTING_DEMO_USERS: intVar(0, 100_000).default(250),
})

/** Checks `options` as `installReporting` takes them; throws `ValidationError` naming the field. */
export function checkReportingOptions(options: ReportingOptions): Required<ReportingOptions> {
  const parsed = z
    .object({
      schema: schemaName.default('reporting'),
      batchSize: intVar(1, 10_000).default(100),
      concurrency: intVar(1, 50).default(2),
    })
    .strict()
    .safeParse(options)
  if (!parsed.success)
    throw new ValidationError(
      'invalid reporting options',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    )
  return parsed.data
}

/**
 * The app's settings from the environment: `REPORTING_SCHEMA` (default `reporting`),
 * `REPORTING_BATCH_SIZE` (100), `REPORTING_CONCURRENCY` (2) and, for the demo,
 * `REPORTING_DEMO_USERS` (250). An empty variable counts as unset. Throws
 * `ValidationError` naming the variable for a bad value.
 */
export function reportingOptionsFromEnv(env: Env = process.env): ReportingEnv {
  const e = readEnv(envSchema, env, 'reporting environment')
  return {
    schema: e.REPORTING_SCHEMA,
    batchSize: e.REPORTING_BATCH_SIZE,
    concurrency: e.REPORTING_CONCURRENCY,
    demoUsers: e.REPORTING_DEMO_USERS,
  }
}
