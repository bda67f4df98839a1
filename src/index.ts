export type { StandardSchemaV1 } from '@standard-schema/spec'
export type {
  AlertKind,
  AlertsOptions,
  JobAlertsOptions,
  WebhookOptions,
} from './alerts/options.js'
export type { BackfillStatus } from './backfill/backfill.js'
export type { Backfill } from './client/backfill.js'
export type { ItemLog } from './client/items.js'
export type { EnqueueItem, Job } from './client/job.js'
export type { JobDefinition, JobInfo, Jobs } from './client/jobs.js'
export type { Locks } from './client/locks.js'
export type {
  EnqueueOptions,
  JobOptions,
  KeepOptions,
  RetryOptions,
  ScheduleOptions,
  TickworkOptions,
  WindowOptions,
} from './client/options.js'
export type { StartOptions } from './client/roles.js'
export type { Runs } from './client/runs.js'
export type { Schedules } from './client/schedules.js'
export { Tickwork } from './client/tickwork.js'
export type { Triggered, TriggerOptions } from './client/trigger.js'
export type { ConfigSettings } from './config/load.js'
export type { Issue } from './errors.js'
export {
  ConflictError,
  LockedError,
  NotFoundError,
  PermanentError,
  SchemaVersionError,
  StateError,
  TickworkError,
  TimeoutError,
  ValidationError,
} from './errors.js'
export type { HttpOptions } from './http/app.js'
export { createApp } from './http/app.js'
export type { Listening } from './http/serve.js'
export { serve } from './http/serve.js'
export type { EachOptions, ItemCounts, Items } from './items/each.js'
export { ItemsFailedError } from './items/each.js'
export type { Item } from './items/query.js'
export type { LockInfo } from './lock/lock.js'
export type { Metrics, MetricsOptions } from './metrics/metrics.js'
export { createMetrics } from './metrics/metrics.js'
export type { Enqueued } from './queue/enqueue.js'
export type { Backlog, JobActivity } from './queue/stats.js'
export type { AttemptError, Run, RunCounts, RunSource, RunState } from './queue/types.js'
export type { ScheduleInfo } from './schedule/control.js'
export { nextFireTimes } from './schedule/cron.js'
export type { Overlap } from './schedule/fire.js'
export type { CatchUp } from './schedule/plan.js'
export type { AuditEntry } from './store/audit.js'
export type { Queryable, Tx } from './store/db.js'
export type { Clock } from './util/clock.js'
export type { Duration } from './util/duration.js'
export type { CompletedRun, FailedRun, RunContext, RunInfo } from './worker/context.js'
export type { TickworkEvents } from './worker/events.js'
