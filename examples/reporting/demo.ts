import type { Tickwork } from 'tickwork'
import { installReporting, type ReportingApp } from './app.js'
import { reportingOptionsFromEnv } from './env.js'

/** The first day of demo activity: a month before the README's backfill range starts. */
export const DEMO_FROM = '2025-11-01'

/**
 * Installs the reporting app from the environment (see `reportingOptionsFromEnv`) and
 * seeds `REPORTING_DEMO_USERS` users with activity from `DEMO_FROM` through today (UTC),
 * so the live schedules and a backfill of the past year both have data to aggregate. There is no external service to fake: the original's MongoDB collections
 * are the app's Postgres tables. Throws `ValidationError` for a bad variable, and what
 * `installReporting` throws.
 */
export async function startReportingDemo(
  tw: Tickwork,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReportingApp> {
  const { demoUsers, ...options } = reportingOptionsFromEnv(env)
  const app = await installReporting(tw, options)
  const tomorrow = new Date(Date.now() + 86_400_000)
  if (demoUsers > 0)
    await app.seed({ users: demoUsers, from: DEMO_FROM, to: tomorrow.toISOString().slice(0, 10) })
  return app
}
