import { type Completion, completeRunIn } from '../queue/complete.js'
import type { ActiveRun } from '../queue/fetch.js'
import type { CompletedRun } from './context.js'
import { runInfo } from './context.js'
import type { WorkerDeps } from './worker.js'

/** How a completion written with its job's `onCompleted` ended. */
export type HookedOutcome =
  | { kind: 'written' }
  /** the run was no longer this worker's (cancelled, or its lease lapsed): nothing ran */
  | { kind: 'lost' }
  /** the hook threw: nothing committed, and the attempt fails with its error */
  | { kind: 'refused'; error: unknown }
  /** the database refused while stopping: the run's lease lapses and it runs again */
  | { kind: 'abandoned' }

/**
 * Completes a run and runs its job's `onCompleted` in one transaction, so the user's
 * write commits exactly when the completion does. A database error is tried again with
 * a growing pause while the worker goes on renewing the run's lease (once stopping,
 * one try is all); an error of the hook itself, or a constraint its writes broke that
 * fails only at commit, is the attempt's failure.
 */
export async function completeHooked(
  d: WorkerDeps,
  done: Completion,
  run: ActiveRun,
  value: unknown,
  hook: (end: CompletedRun) => unknown,
  stopping: () => boolean,
): Promise<HookedOutcome> {
  for (let pause = 100; ; pause = Math.min(pause * 2, 5000)) {
    let refused: { error: unknown } | undefined
    let hooked = false
    try {
      const ours = await d.store.db.transaction(async (tx) => {
        if (!(await completeRunIn(d.store, tx, d.workerId, done))) return false
        try {
          await hook({ tx, run: runInfo(run), payload: run.payload, result: value })
          hooked = true
        } catch (error) {
          refused = { error }
          throw error
        }
        return true
      })
      return { kind: ours ? 'written' : 'lost' }
    } catch (err) {
      if (refused) return { kind: 'refused', error: refused.error }
      // a deferred constraint the hook's writes broke fails at COMMIT, every time alike
      if (hooked && integrityViolation(err)) return { kind: 'refused', error: err }
      d.emit('error', err as Error)
      if (stopping()) return { kind: 'abandoned' }
      await new Promise((r) => setTimeout(r, pause))
    }
  }
}

/** SQLSTATE class 23: the data broke a constraint, which no retry of the write mends. */
function integrityViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('23')
}
