import type { StandardSchemaV1 } from '@standard-schema/spec'
import { type Issue, ValidationError } from '../errors.js'
import type { Enqueued, NewRun } from '../queue/enqueue.js'
import type { EnqueueOptions } from './options.js'
import { type ResolvedEnqueue, type ResolvedJob, resolveEnqueue } from './resolve.js'

/** What a job needs from its `Tickwork` to enqueue. */
export interface JobHost {
  now(): number
  insert(job: string, runs: NewRun[], tx: EnqueueOptions['tx']): Promise<Enqueued[]>
}

/** One item of `enqueueMany`. */
export interface EnqueueItem<P> {
  payload: P
  options?: Omit<EnqueueOptions, 'tx'>
}

function issuePath(path: StandardSchemaV1.Issue['path']): string {
  return (path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')
}

/** Validates a payload against the job's schema; returns the schema's output. Throws `ValidationError` naming each path. */
export async function validatePayload(
  job: ResolvedJob,
  payload: unknown,
  at: string,
): Promise<unknown> {
  if (!job.payload) return payload
  const result = await job.payload['~standard'].validate(payload)
  if (!result.issues) return result.value
  const issues: Issue[] = result.issues.map((i) => ({
    path: [at, issuePath(i.path)].filter(Boolean).join('.'),
    message: i.message,
  }))
  throw new ValidationError(`invalid payload for job '${job.name}'`, issues)
}

/** A defined job: enqueue runs of it. Made by `tw.job()`. */
export class Job<P = unknown> {
  /** the job's name */
  readonly name: string
  // most runs come with no options: resolve the job's defaults once, not per run
  readonly #defaults: ResolvedEnqueue

  constructor(
    /** @internal the validated definition (the dead-letter path reads its options) */
    readonly def: ResolvedJob,
    private readonly host: JobHost,
  ) {
    this.name = def.name
    this.#defaults = resolveEnqueue(def, {})
  }

  /**
   * Enqueues one run. With an idempotency `key` that a waiting or active run of this
   * job holds, returns that run instead (`created: false`). Throws `ValidationError`
   * for a payload the job's schema refuses or a bad option; nothing is written then.
   */
  async enqueue(payload: P, options?: EnqueueOptions): Promise<Enqueued> {
    return (await this.#enqueue([{ payload, options }], options?.tx))[0] as Enqueued
  }

  /**
   * Enqueues many runs in one statement, answering in the same order. Every payload
   * and option is checked first: one bad item throws `ValidationError` naming its
   * index, and none is written.
   */
  async enqueueMany(
    items: EnqueueItem<P>[],
    options?: { tx?: EnqueueOptions['tx'] },
  ): Promise<Enqueued[]> {
    if (!Array.isArray(items))
      throw new ValidationError('invalid items', [{ path: 'items', message: 'expected an array' }])
    return this.#enqueue(items, options?.tx, true)
  }

  async #enqueue(
    items: Array<{ payload: unknown; options?: EnqueueOptions }>,
    tx: EnqueueOptions['tx'],
    many = false,
  ): Promise<Enqueued[]> {
    const now = this.host.now()
    const runs: NewRun[] = []
    for (const [i, item] of items.entries()) {
      const at = many ? `[${i}]` : ''
      if (typeof item !== 'object' || item === null) {
        throw new ValidationError('invalid items', [
          { path: at, message: 'expected { payload, options? }' },
        ])
      }
      const o =
        item.options === undefined && tx === undefined
          ? this.#defaults
          : resolveEnqueue(this.def, { ...item.options, tx }, many ? `${at}.options` : 'options')
      const payload = await validatePayload(
        this.def,
        item.payload,
        many ? `${at}.payload` : 'payload',
      )
      runs.push({
        payload,
        runAt: o.runAt ?? new Date(now + (o.delayMs ?? 0)),
        priority: o.priority,
        key: o.key,
        source: 'api',
        maxAttempts: o.attempts,
        backoff: o.backoff,
        timeoutMs: o.timeoutMs,
        deadLetter: o.deadLetter,
      })
    }
    return this.host.insert(this.name, runs, tx)
  }
}
