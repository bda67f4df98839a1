import type { Logger } from 'pino'
import { itemsOf } from '../items/each.js'
import { itemScope } from '../items/log.js'
import type { ActiveRun } from '../queue/fetch.js'
import { saveProgress } from '../queue/progress.js'
import type { QueueStore } from '../queue/store.js'
import { type RunContext, runInfo } from './context.js'

/**
 * The context one attempt's handler gets. Its progress writes name the attempt and the
 * worker, so progress from an attempt this worker no longer holds changes nothing.
 */
export function makeContext(
  d: { store: QueueStore; workerId: string; logger: Logger },
  run: ActiveRun,
  signal: AbortSignal,
): RunContext {
  const log = d.logger.child({ job: run.job, runId: run.id, attempt: run.attempt })
  const progress = (value: unknown) =>
    saveProgress(d.store, { id: run.id, attempt: run.attempt, worker: d.workerId }, value)
  return {
    payload: run.payload,
    signal,
    log,
    attempt: run.attempt,
    run: runInfo(run),
    progress,
    window: run.window ?? undefined,
    items: itemsOf({ store: d.store, run, scope: itemScope(run), signal, log, progress }),
  }
}
