import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  ConflictError,
  NotFoundError,
  PermanentError,
  type TickworkEvents,
  ValidationError,
} from '../src/index.js'
import { type drivers, freshSchema, makeTickwork, manualClock, until } from './helpers.js'
import { rejection } from './util.js'

/** A handler whose runs each wait until their payload is released, noting the order they start in. */
function gated<K>() {
  const started: K[] = []
  const gates = new Map<K, () => void>()
  const run = async ({ payload }: { payload: unknown }) => {
    started.push(payload as K)
    await new Promise<void>((resolve) => gates.set(payload as K, resolve))
  }
  return { started, release: (key: K) => gates.get(key)?.(), run }
}

/** The queue's behaviour, the same on every driver: each driver's test file runs it. */
export function queueConformance({ driver, database }: (typeof drivers)[number]) {
  describe(`queue on ${driver}`, () => {
    const tw = (options: Parameters<typeof makeTickwork>[0] = {}) =>
      makeTickwork({ database: database(), ...options })

    it('runs a job and keeps its payload, result, timing and source', async () => {
      const t = tw()
      const job = t.job('sum', {
        run: ({ payload }) => (payload as number[]).reduce((a, b) => a + b, 0),
      })
      await t.start()
      const { id, created } = await job.enqueue([1, 2, 3])
      expect(created).toBe(true)
      await until(async () => (await t.runs.get(id))?.state === 'completed')
      const run = await t.runs.get(id)
      expect(run).toMatchObject({
        job: 'sum',
        payload: [1, 2, 3],
        result: 6,
        attempt: 1,
        source: 'api',
        errors: [],
      })
      expect(run?.startedAt).toBeInstanceOf(Date)
      expect(run?.finishedAt?.getTime()).toBeGreaterThanOrEqual(run?.startedAt?.getTime() ?? 0)
    })

    it('keeps payloads of every JSON kind as given', async () => {
      const t = tw()
      const job = t.job('echo', { run: () => {} })
      const payloads = [
        null,
        0,
        -1.5,
        'text with \'quotes\' and "doubles" and \\ and é ✓',
        [],
        [1, [2, null]],
        { a: { b: [true, false] } },
        {},
      ]
      const ids = await job.enqueueMany(payloads.map((payload) => ({ payload })))
      const single = await job.enqueue(null)
      const got = await Promise.all(
        [...ids, single].map(async ({ id }) => (await t.runs.get(id))?.payload),
      )
      expect(got).toEqual([...payloads, null])
    })

    it('refuses a payload its schema rejects, naming each field, and writes nothing', async () => {
      const t = tw()
      const job = t.job('mail', {
        payload: z.object({ to: z.string().email(), n: z.number() }),
        run: () => {},
      })
      const err = await rejection(job.enqueue({ to: 'nope', n: 'x' } as never))
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual([
        'payload.n',
        'payload.to',
      ])
      const many = await rejection(
        job.enqueueMany([
          { payload: { to: 'a@b.co', n: 1 } },
          { payload: { to: 'a@b.co', n: 'two' as never } },
        ]),
      )
      expect((many as ValidationError).issues[0]?.path).toBe('[1].payload.n')
      // by name, a job defined here is checked the same way
      expect(await rejection(t.enqueue('mail', { to: 'nope', n: 1 }))).toBeInstanceOf(
        ValidationError,
      )
      expect((await t.runs.counts()).waiting).toBe(0)
    })

    it('refuses bad job and enqueue options, naming the option', async () => {
      const t = tw()
      const bad = (fn: () => unknown) => {
        try {
          fn()
        } catch (err) {
          return (err as ValidationError).issues.map((i) => i.path)
        }
        throw new Error('expected a ValidationError')
      }
      expect(bad(() => t.job('a', { run: () => {}, concurrency: 0 }))).toEqual(['concurrency'])
      expect(
        bad(() => t.job('b', { run: () => {}, retry: { backoff: 'linear' as never } })),
      ).toEqual(['retry.backoff'])
      expect(bad(() => t.job('c', { run: () => {}, timeout: 'soon' }))).toEqual(['timeout'])
      expect(bad(() => t.job('d', { run: () => {}, rateLimit: { max: 5, per: 0 } }))).toEqual([
        'rateLimit.per',
      ])
      expect(bad(() => t.job('p', { run: () => {}, prefetch: -1 }))).toEqual(['prefetch'])
      expect(
        bad(() => t.job('q', { run: () => {}, prefetch: 10, rateLimit: { max: 5, per: '1s' } })),
      ).toEqual(['prefetch'])
      expect(bad(() => t.job('bad name!', { run: () => {} }))).toEqual(['name'])
      expect(bad(() => t.job('e', { run: () => {}, colour: 'red' } as never))).toEqual(['colour'])
      expect(bad(() => t.job('f', { run: () => {}, priority: 2 ** 40 }))).toEqual(['priority'])
      expect(bad(() => t.job('g', { run: () => {}, timeout: 0 }))).toEqual(['timeout'])
      const job = t.job('ok', { run: () => {} })
      const err = await rejection(job.enqueue(null, { delay: 'later' }))
      expect((err as ValidationError).issues[0]?.path).toBe('options.delay')
      const both = await rejection(job.enqueue(null, { delay: '1s', runAt: new Date() }))
      expect((both as ValidationError).issues[0]?.path).toBe('options.delay')
      expect((await t.runs.counts()).waiting).toBe(0)
    })

    it('refuses payloads JSON cannot store, and fails a run whose result it cannot store', async () => {
      const t = tw()
      const failed: string[] = []
      t.on('run:failed', (e) => failed.push(e.error.name))
      const job = t.job('odd', { retry: { attempts: 3 }, run: () => ({ big: 10n }) })
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const err = await rejection(job.enqueueMany([{ payload: 1 }, { payload: cyclic }]))
      expect((err as ValidationError).issues[0]?.path).toBe('[1].payload')
      expect(await rejection(job.enqueue({ n: 1n }))).toBeInstanceOf(ValidationError)
      expect(await rejection(job.enqueue('nul \u0000 inside'))).toBeInstanceOf(ValidationError)
      expect((await t.runs.counts()).waiting).toBe(0)
      await t.start()
      const ok = await job.enqueue(null)
      await until(() => failed.length === 1)
      expect(failed).toEqual(['PermanentError'])
      expect((await t.runs.get(ok.id))?.attempt).toBe(1)
    })

    it('returns the live run for an idempotency key, and frees the key once it ends', async () => {
      const t = tw()
      const job = t.job('keyed', { run: () => 'ok' })
      const a = await job.enqueue({ v: 1 }, { key: 'k1' })
      const b = await job.enqueue({ v: 2 }, { key: 'k1' })
      expect(b).toEqual({ id: a.id, created: false })
      const batch = await job.enqueueMany([
        { payload: 1, options: { key: 'k1' } },
        { payload: 2, options: { key: 'k2' } },
        { payload: 3 },
        { payload: 4, options: { key: 'k2' } },
      ])
      expect(batch[0]).toEqual({ id: a.id, created: false })
      expect(batch[1]?.created).toBe(true)
      expect(batch[3]).toEqual({ id: batch[1]?.id, created: false })
      expect(batch[2]?.created).toBe(true)
      await t.start()
      await until(async () => (await t.runs.counts('keyed')).completed === 3)
      const again = await job.enqueue({ v: 3 }, { key: 'k1' })
      expect(again.created).toBe(true)
      expect((await t.runs.getByKey('keyed', 'k1'))?.id).toBe(again.id)
    })

    it('runs higher priority first', async () => {
      const t = tw()
      const order: string[] = []
      const job = t.job('prio', { run: ({ payload }) => void order.push(payload as string) })
      await job.enqueue('low', { priority: 0 })
      await job.enqueue('high', { priority: 10 })
      await job.enqueue('mid', { priority: 5 })
      await t.start()
      await until(() => order.length === 3)
      expect(order).toEqual(['high', 'mid', 'low'])
    })

    it('holds a delayed run until its time, on the injected clock', async () => {
      const clock = manualClock()
      const t = tw({ clock })
      const ran: string[] = []
      const job = t.job('later', { run: ({ run }) => void ran.push(run.id) })
      const { id } = await job.enqueue(null, { delay: '1h' })
      await t.start()
      expect((await t.runs.get(id))?.state).toBe('delayed')
      await new Promise((r) => setTimeout(r, 300))
      expect(ran).toEqual([])
      clock.advance(3_600_000)
      await until(() => ran.length === 1)
    })

    it('retries with exponential backoff and keeps each attempt’s error', async () => {
      const clock = manualClock()
      const t = tw({ clock })
      const events: Array<TickworkEvents['run:retrying']> = []
      t.on('run:retrying', (e) => events.push(e))
      const job = t.job('flaky', {
        retry: { attempts: 3, backoff: 'exponential', delay: '10s' },
        run: ({ attempt }) => {
          if (attempt < 3) throw new Error(`boom ${attempt}`)
          return 'third time'
        },
      })
      await t.start()
      const start = clock.now()
      const { id } = await job.enqueue(null)
      await until(() => events.length === 1)
      expect(events[0]?.retryAt.getTime()).toBe(start + 10_000)
      expect((await t.runs.get(id))?.state).toBe('delayed')
      clock.advance(9_999)
      await new Promise((r) => setTimeout(r, 250))
      expect(events.length).toBe(1)
      clock.advance(1)
      await until(() => events.length === 2)
      expect(events[1]?.retryAt.getTime()).toBe(clock.now() + 20_000)
      clock.advance(20_000)
      await until(async () => (await t.runs.get(id))?.state === 'completed')
      const run = await t.runs.get(id)
      expect(run?.attempt).toBe(3)
      expect(run?.result).toBe('third time')
      expect(run?.errors.map((e) => [e.attempt, e.message])).toEqual([
        [1, 'boom 1'],
        [2, 'boom 2'],
      ])
      expect(run?.errors[0]?.stack).toContain('boom 1')
    })

    it('fails at once on PermanentError, TypeError and what isRetryable refuses', async () => {
      const t = tw()
      const failed: string[] = []
      t.on('run:failed', (e) => failed.push(`${e.job}:${e.attempt}:${e.error.name}`))
      const perm = t.job('perm', {
        retry: { attempts: 5 },
        run: () => Promise.reject(new PermanentError('revoked')),
      })
      const type = t.job('type', {
        retry: { attempts: 5 },
        run: () => (null as unknown as { x: () => void }).x(),
      })
      const custom = t.job('custom', {
        retry: { attempts: 5 },
        isRetryable: (err) => !(err as Error).message.includes('400'),
        run: () => {
          throw new Error('HTTP 400')
        },
      })
      await t.start()
      await perm.enqueue(null)
      await type.enqueue(null)
      await custom.enqueue(null)
      await until(() => failed.length === 3)
      expect(failed.sort()).toEqual(['custom:1:Error', 'perm:1:PermanentError', 'type:1:TypeError'])
      expect((await t.runs.counts()).failed).toBe(3)
    })

    it('sends a run that failed for good to its dead-letter job with payload and error', async () => {
      const t = tw()
      const dead: unknown[] = []
      t.job('dlq', { run: ({ payload, run }) => void dead.push({ payload, source: run.source }) })
      const job = t.job('doomed', {
        retry: { attempts: 2, delay: 0 },
        deadLetter: 'dlq',
        run: () => Promise.reject(new Error('nope')),
      })
      await t.start()
      const { id } = await job.enqueue({ credential: 'c1' })
      await until(() => dead.length === 1)
      expect(dead[0]).toMatchObject({
        source: 'dead-letter',
        payload: {
          job: 'doomed',
          runId: id,
          payload: { credential: 'c1' },
          attempts: 2,
          error: { message: 'nope', attempt: 2 },
        },
      })
      expect((await t.runs.get(id))?.state).toBe('failed')
    })

    it('keeps a run that outlives its lease, by renewing it', async () => {
      const t = tw({ leaseTime: '300ms' })
      const stalled: string[] = []
      t.on('run:stalled', (e) => stalled.push(e.id))
      const job = t.job('long', {
        run: () => new Promise((r) => setTimeout(() => r('done'), 1200)),
      })
      await t.start()
      const { id } = await job.enqueue(null)
      await until(async () => (await t.runs.get(id))?.state === 'completed')
      expect(stalled).toEqual([])
      expect(await t.runs.get(id)).toMatchObject({ attempt: 1, errors: [], result: 'done' })
    })

    it('cancels waiting and active runs; an active handler sees its signal abort', async () => {
      const t = tw({ leaseTime: '300ms' })
      let aborted: unknown
      let started = false
      const job = t.job('long', {
        run: ({ signal }) =>
          new Promise((_, reject) => {
            started = true
            signal.addEventListener('abort', () => {
              aborted = signal.reason
              reject(signal.reason)
            })
          }),
      })
      const waiting = await job.enqueue(null, { delay: '1h' })
      await t.runs.cancel(waiting.id)
      expect((await t.runs.get(waiting.id))?.state).toBe('cancelled')
      await t.start()
      const active = await job.enqueue(null)
      await until(() => started)
      await t.runs.cancel(active.id)
      await until(() => aborted !== undefined)
      expect(String(aborted)).toContain('cancelled')
      expect((await t.runs.get(active.id))?.state).toBe('cancelled')
      expect(await rejection(t.runs.cancel(active.id))).toBeInstanceOf(ConflictError)
      expect(await rejection(t.runs.cancel('999999'))).toBeInstanceOf(NotFoundError)
      expect(await rejection(t.runs.cancel('abc'))).toBeInstanceOf(ValidationError)
    })

    it('aborts a run past its timeout and fails the attempt with TimeoutError', async () => {
      const t = tw()
      let reason: unknown
      const job = t.job('slow', {
        timeout: 100,
        retry: { attempts: 1 },
        run: ({ signal }) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              reason = signal.reason
              resolve('too late')
            })
          }),
      })
      await t.start()
      const { id } = await job.enqueue(null)
      await until(async () => (await t.runs.get(id))?.state === 'failed')
      expect((reason as Error).name).toBe('TimeoutError')
      expect((await t.runs.get(id))?.errors[0]?.name).toBe('TimeoutError')
    })

    it('stores progress while the handler runs', async () => {
      const t = tw()
      let release: () => void = () => {}
      const job = t.job('progress', {
        run: async ({ progress }) => {
          await progress({ done: 5, of: 10 })
          await new Promise<void>((r) => {
            release = r
          })
        },
      })
      await t.start()
      const { id } = await job.enqueue(null)
      await until(async () => (await t.runs.get(id))?.progress !== null)
      expect((await t.runs.get(id))?.progress).toEqual({ done: 5, of: 10 })
      release()
      await until(async () => (await t.runs.get(id))?.state === 'completed')
    })

    it('retries failed runs by id and in bulk by job and time', async () => {
      const t = tw()
      let fail = true
      const job = t.job('r', {
        retry: { attempts: 1 },
        run: () => {
          if (fail) throw new Error('down')
          return 'up'
        },
      })
      const other = t.job('o', {
        retry: { attempts: 1 },
        run: () => Promise.reject(new Error('x')),
      })
      await t.start()
      const ids = (await job.enqueueMany([{ payload: 1 }, { payload: 2 }, { payload: 3 }])).map(
        (r) => r.id,
      )
      await other.enqueue(null)
      await until(async () => (await t.runs.counts()).failed === 4)
      fail = false
      await t.runs.retry(ids[0] as string)
      await until(async () => (await t.runs.get(ids[0] as string))?.state === 'completed')
      const back = await t.runs.retryFailed({ job: 'r', from: new Date(Date.now() - 60_000) })
      expect(back.sort()).toEqual([ids[1], ids[2]].sort())
      await until(async () => (await t.runs.counts('r')).completed === 3)
      const run = await t.runs.get(ids[1] as string)
      expect(run?.errors.map((e) => e.message)).toEqual(['down'])
      expect((await t.runs.counts('o')).failed).toBe(1)
      expect(await rejection(t.runs.retry(ids[0] as string))).toBeInstanceOf(ConflictError)
    })

    it('leaves a failed run failed when a live run now holds its key', async () => {
      const t = tw()
      const job = t.job('k', { retry: { attempts: 1 }, run: () => Promise.reject(new Error('x')) })
      await t.start()
      const first = await job.enqueue(1, { key: 'order-7' })
      await until(async () => (await t.runs.get(first.id))?.state === 'failed')
      const live = await job.enqueue(2, { key: 'order-7', delay: '1h' })
      expect(live.created).toBe(true)
      expect(await rejection(t.runs.retry(first.id))).toBeInstanceOf(ConflictError)
      expect(await t.runs.retryFailed({ job: 'k' })).toEqual([])
      expect((await t.runs.get(first.id))?.state).toBe('failed')
    })

    it('pages through live and finished runs in numeric id order, across digit counts', async () => {
      const t = tw()
      const done = t.job('done', { run: () => {} })
      const later = t.job('later', { run: () => {} })
      // ids 1 to 120: as text, 99 would sort before 120 and 9 before 10
      const finished = await done.enqueueMany(
        Array.from({ length: 60 }, (_, i) => ({ payload: i })),
      )
      const live = await later.enqueueMany(
        Array.from({ length: 60 }, (_, i) => ({ payload: i, options: { delay: '1h' } })),
      )
      await t.start()
      await until(async () => (await t.runs.counts('done')).completed === 60)
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await t.runs.list({ limit: 25, cursor })
        seen.push(...page.runs.map((r) => r.id))
        cursor = page.next
      } while (cursor)
      const all = [...finished, ...live].map((r) => r.id)
      expect(seen).toEqual(all.sort((a, b) => Number(b) - Number(a)))
    })

    it('lists runs newest first with keyset paging, and counts them by state', async () => {
      const t = tw()
      const job = t.job('page', { run: () => {} })
      const ids = (
        await job.enqueueMany(Array.from({ length: 7 }, (_, i) => ({ payload: i })))
      ).map((r) => r.id)
      await job.enqueue(null, { delay: '1h' })
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await t.runs.list({ job: 'page', state: 'waiting', limit: 3, cursor })
        seen.push(...page.runs.map((r) => r.id))
        cursor = page.next
        pages++
      } while (cursor)
      expect(pages).toBe(3)
      expect(seen).toEqual([...ids].reverse())
      expect(await t.runs.counts('page')).toEqual({
        waiting: 7,
        delayed: 1,
        active: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      })
      expect(await rejection(t.runs.list({ limit: 0 }))).toBeInstanceOf(ValidationError)
    })

    it('deletes finished runs beyond retention', async () => {
      const clock = manualClock()
      const t = tw({ clock, maintenanceInterval: 50 })
      const keep = t.job('keep', {
        keep: { completed: { count: 2 }, failed: { age: '1h' } },
        run: () => {},
      })
      const bad = t.job('bad', {
        keep: { failed: { age: '1h' } },
        retry: { attempts: 1 },
        run: () => Promise.reject(new Error('x')),
      })
      let finished = 0
      t.on('run:completed', () => finished++)
      t.on('run:failed', () => finished++)
      await keep.enqueueMany(Array.from({ length: 5 }, () => ({ payload: null })))
      await bad.enqueue(null)
      await t.start()
      // counts could dip below 6 here: a sweep may already trim while runs finish
      await until(() => finished === 6)
      clock.advance(60_000)
      await until(async () => (await t.runs.counts('keep')).completed === 2)
      expect((await t.runs.counts('bad')).failed).toBe(1)
      clock.advance(3_600_000)
      await until(async () => (await t.runs.counts('bad')).failed === 0)
    })

    it('applies default retention to runs of jobs this process does not define', async () => {
      const clock = manualClock()
      const t = tw({ clock, maintenanceInterval: 50 })
      t.job('here', { run: () => {} })
      const ghost = await t.enqueue('elsewhere', { a: 1 })
      await t.runs.cancel(ghost.id)
      await t.start()
      clock.advance(6 * 86_400_000)
      await new Promise((r) => setTimeout(r, 300))
      expect((await t.runs.get(ghost.id))?.state).toBe('cancelled')
      clock.advance(2 * 86_400_000)
      await until(async () => (await t.runs.get(ghost.id)) === undefined)
    })

    it('holds a global concurrency cap above the per-process one', async () => {
      const t = tw()
      let running = 0
      let peak = 0
      const job = t.job('capped', {
        concurrency: 5,
        globalConcurrency: 2,
        run: async () => {
          peak = Math.max(peak, ++running)
          await new Promise((r) => setTimeout(r, 30))
          running--
        },
      })
      await job.enqueueMany(Array.from({ length: 8 }, () => ({ payload: null })))
      await t.start()
      await until(async () => (await t.runs.counts('capped')).completed === 8)
      expect(peak).toBe(2)
    })

    it('starts no more than rateLimit.max runs per window, on the injected clock', async () => {
      const clock = manualClock()
      const t = tw({ clock })
      let started = 0
      const job = t.job('limited', {
        concurrency: 10,
        rateLimit: { max: 5, per: '1s' },
        run: () => void started++,
      })
      await job.enqueueMany(Array.from({ length: 12 }, () => ({ payload: null })))
      await t.start()
      await until(() => started === 5)
      await new Promise((r) => setTimeout(r, 300))
      expect(started).toBe(5)
      clock.advance(1000)
      await until(() => started === 10)
      await new Promise((r) => setTimeout(r, 300))
      expect(started).toBe(10)
      clock.advance(1000)
      await until(() => started === 12)
    })

    it('prefetch: holds concurrency + prefetch runs, starts them in order as slots free, never starts a cancelled one, and gives the rest back uncounted on stop', async () => {
      const db = driver === 'pglite' ? `pglite:${mkdtempSync(join(tmpdir(), 'tw-'))}` : database()
      const schema = freshSchema()
      const t = tw({ database: db, schema })
      const { started, release, run } = gated<number>()
      const job = t.job('ahead', { concurrency: 2, prefetch: 3, run })
      const ids = (
        await job.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ payload: i })))
      ).map((r) => r.id)
      await t.start()
      await until(async () => started.length === 2 && (await t.runs.counts('ahead')).active === 5)
      expect(started).toEqual([0, 1])
      // runs 2-4 are held here, leased, not started; run 3 is cancelled meanwhile
      expect((await t.runs.get(ids[3] as string))?.state).toBe('active')
      await t.runs.cancel(ids[3] as string)
      // the cancel reaches the worker as a notification
      await new Promise((r) => setTimeout(r, 300))
      release(0)
      await until(() => started.length === 3)
      release(1)
      await until(() => started.length === 4)
      expect(started).toEqual([0, 1, 2, 4])
      // held runs are topped up once half are gone (how many depends on when the cancel's
      // notification arrived): 2 running, and 2 or 3 held
      await until(async () => (await t.runs.counts('ahead')).active >= 4)
      await new Promise((r) => setTimeout(r, 100))
      expect((await t.runs.counts('ahead')).active).toBeLessThanOrEqual(5)

      const stopping = t.stop({ grace: '10s' })
      // the held runs go back at once, not after the grace; the running ones finish
      await until(async () => (await t.runs.counts('ahead')).active === 2)
      release(2)
      release(4)
      await stopping
      const after = tw({ database: db, schema })
      expect(started).toEqual([0, 1, 2, 4])
      const runs = await Promise.all(ids.map((id) => after.runs.get(id)))
      expect(runs.map((r) => r?.state)).toEqual([
        'completed',
        'completed',
        'completed',
        'cancelled',
        'completed',
        ...Array(5).fill('waiting'),
      ])
      expect(runs.slice(5).map((r) => r?.attempt)).toEqual([0, 0, 0, 0, 0])
    })

    it('prefetch: runs held when their leases are lost are not started', async () => {
      const schema = freshSchema()
      const t = tw({ schema, leaseTime: '300ms' })
      const started: number[] = []
      const job = t.job('lost', {
        concurrency: 1,
        prefetch: 3,
        // ignores its signal, as a handler may: what matters is what starts next
        run: async ({ payload }) => {
          started.push(payload as number)
          await new Promise((r) => setTimeout(r, 400))
        },
      })
      await job.enqueueMany(Array.from({ length: 4 }, (_, i) => ({ payload: i })))
      await t.start({ maintenance: false })
      await until(async () => started.length === 1 && (await t.runs.counts('lost')).active === 4)
      // another worker has them all now: the next renewal finds every lease lost
      await t.query(`UPDATE ${schema}.runs SET worker = 'elsewhere' WHERE state = 'active'`)
      await new Promise((r) => setTimeout(r, 600))
      expect(started).toEqual([0])
    })

    it('prefetch: a waited trigger runs beyond the slots, and its end starts no held run past them', async () => {
      const t = tw()
      const { started, release, run } = gated<string>()
      const job = t.job('beyond', { concurrency: 1, prefetch: 2, run })
      await job.enqueueMany(['a', 'b', 'c'].map((payload) => ({ payload })))
      await t.start()
      await until(async () => started.length === 1 && (await t.runs.counts('beyond')).active === 3)
      const waited = t.trigger('beyond', 'now', { wait: true })
      await until(() => started.length === 2)
      release('now')
      expect((await waited).run?.state).toBe('completed')
      await new Promise((r) => setTimeout(r, 300))
      expect(started).toEqual(['a', 'now'])
      release('a')
      await until(() => started.length === 3)
      expect(started).toEqual(['a', 'now', 'b'])
      release('b')
      await until(() => started.length === 4)
      release('c')
    })

    it('hands running handlers the grace period on stop, then releases the rest uncounted', async () => {
      // a database that outlives the instance, so a second one can look after the stop
      const db = driver === 'pglite' ? `pglite:${mkdtempSync(join(tmpdir(), 'tw-'))}` : database()
      const schema = freshSchema()
      const t = tw({ database: db, schema })
      const done: number[] = []
      const job = t.job('stop', {
        concurrency: 2,
        run: async ({ payload, signal }) => {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, payload as number)
            signal.addEventListener('abort', () => {
              clearTimeout(timer)
              reject(signal.reason)
            })
          })
          done.push(payload as number)
        },
      })
      await t.start()
      const quick = await job.enqueue(200)
      const stuck = await job.enqueue(60_000)
      await until(async () => (await t.runs.counts('stop')).active === 2)
      await t.stop({ grace: 600 })
      expect(done).toEqual([200])
      const after = tw({ database: db, schema })
      expect((await after.runs.get(quick.id))?.state).toBe('completed')
      expect(await after.runs.get(stuck.id)).toMatchObject({ state: 'waiting', attempt: 0 })
    })
  })
}
