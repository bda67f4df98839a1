import type { ResolvedJob } from '../client/resolve.js'
import { backoffDelay } from '../queue/backoff.js'
import { attemptError, failRun, type OnFailed, scheduleRetry } from '../queue/fail.js'
import type { ActiveRun } from '../queue/fetch.js'
import type { AttemptError } from '../queue/types.js'
import { runInfo } from './context.js'
import { isRetryable } from './outcome.js'
import type { WorkerDeps } from './worker.js'

/** A failed attempt, as the worker hands it to be written. */
export interface FailedAttempt {
  run: ActiveRun
  job: ResolvedJob
  err: unknown
  durationMs: number
}

/**
 * Writes a failed attempt: a retry at its backoff, or the run failed for good (and
 * dead-lettered). Again and again with a growing pause while the database refuses,
 * the worker holding the run's lease meanwhile; once `stopping()`, one try is all.
 */
export async function writeFailure(
  d: WorkerDeps,
  f: FailedAttempt,
  stopping: () => boolean,
): Promise<void> {
  for (let pause = 100; ; pause = Math.min(pause * 2, 5000)) {
    try {
      await writeOnce(d, f)
      return
    } catch (e) {
      d.emit('error', e as Error)
      if (stopping()) return
      await new Promise((r) => setTimeout(r, pause))
    }
  }
}

async function writeOnce(d: WorkerDeps, { run, job, err, durationMs }: FailedAttempt) {
  const { store, workerId, emit } = d
  const error = attemptError(err, run.attempt, store.clock.now())
  const holder = { id: run.id, attempt: run.attempt, worker: workerId }
  const about = {
    id: run.id,
    job: run.job,
    attempt: run.attempt,
    source: run.source,
    error,
    durationMs,
  }
  if (run.attempt < run.maxAttempts && isRetryable(err, job.isRetryable)) {
    const retryAt = new Date(store.clock.now() + backoffDelay(run.backoff, run.attempt))
    if (await scheduleRetry(store, holder, error, retryAt))
      emit('run:retrying', { ...about, retryAt })
    return
  }
  const dl = run.deadLetter ? { job: run.deadLetter, run: d.deadLetterRun(run.deadLetter) } : null
  if (await failRun(store, holder, error, dl, run.job, onFailedOf(job, error))) {
    emit('run:failed', about)
    if (run.backfill) d.backfillRunEnded?.()
  }
}

/** The job's `onFailed`, bound to the error, as the statement that fails a run calls it. */
export function onFailedOf(
  job: Pick<ResolvedJob, 'onFailed'> | undefined,
  error: AttemptError,
): OnFailed | undefined {
  const hook = job?.onFailed
  return hook && ((tx, run) => hook({ tx, run: runInfo(run), payload: run.payload, error }))
}
