import { TickworkError } from '../errors.js'
import { backoffDelay } from '../queue/backoff.js'
import { attemptError, failRun, scheduleRetry } from '../queue/fail.js'
import { findStalled } from '../queue/lease.js'
import type { QueueStore } from '../queue/store.js'
import type { Emit } from '../worker/events.js'
import { onFailedOf } from '../worker/failure.js'
import type { MaintenanceDeps } from './loop.js'

/** The error kept on an attempt whose worker stopped renewing its lease. */
export class StalledError extends TickworkError {
  constructor() {
    super('STALLED', 'lease expired: the worker running this attempt died or hung')
  }
}

/**
 * Takes back active runs whose lease lapsed. The lapsed attempt counts: a run that
 * crashes its worker each time fails for good once its attempts are spent, instead of
 * killing workers forever. Returns how many runs it took back.
 */
export async function sweepStalled(
  store: QueueStore,
  emit: Emit,
  jobs: Pick<MaintenanceDeps, 'deadLetterRun' | 'defined' | 'names'>,
): Promise<number> {
  const stalled = await findStalled(store, 500, jobs.names())
  for (const run of stalled) {
    const holder = { id: run.id, attempt: run.attempt, worker: null }
    const error = attemptError(new StalledError(), run.attempt, store.clock.now())
    if (run.attempt < run.maxAttempts) {
      const delay = backoffDelay(run.backoff, run.attempt)
      const retryAt = new Date(store.clock.now() + delay)
      if (await scheduleRetry(store, holder, error, retryAt)) {
        emit('run:stalled', { id: run.id, job: run.job, attempt: run.attempt })
      }
    } else {
      const dl = run.deadLetter
        ? { job: run.deadLetter, run: jobs.deadLetterRun(run.deadLetter) }
        : null
      const hook = onFailedOf(jobs.defined(run.job), error)
      if (await failRun(store, holder, error, dl, run.job, hook)) {
        emit('run:stalled', { id: run.id, job: run.job, attempt: run.attempt })
        emit('run:failed', {
          id: run.id,
          job: run.job,
          attempt: run.attempt,
          source: run.source,
          error,
          // from the attempt's start to the sweep: how long it held the run before dying
          durationMs: run.startedAt ? store.clock.now() - run.startedAt.getTime() : 0,
        })
      }
    }
  }
  return stalled.length
}
