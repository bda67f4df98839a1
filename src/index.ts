export type { StandardSchemaV1 } from '@standard-schema/spec'
export type { EnqueueItem, Job } from './client/job.js'
export type {
  EnqueueOptions,
  JobOptions,
  KeepOptions,
  RetryOptions,
  TickworkOptions,
} from './client/options.js'
export type { Runs } from './client/runs.js'
export type { StartOptions } from './client/tickwork.js'
export { Tickwork } from './client/tickwork.js'
export type { Issue } from './errors.js'
export {
  ConflictError,
  NotFoundError,
  PermanentError,
  SchemaVersionError,
  StateError,
  TickworkError,
  TimeoutError,
  ValidationError,
} from './errors.js'
export type { Enqueued } from './queue/enqueue.js'
export type { AttemptError, Run, RunCounts, RunSource, RunState } from './queue/types.js'
export type { Queryable, Tx } from './store/db.js'
export type { Clock } from './util/clock.js'
export type { Duration } from './util/duration.js'
export type { RunContext, RunInfo } from './worker/context.js'
export type { TickworkEvents } from './worker/events.js'
