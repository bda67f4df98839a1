import { describe, expect, it } from 'vitest'
import { LockedError, NotFoundError, StateError, ValidationError } from '../src/index.js'
import { drivers, freshSchema, makeTickwork, manualClock, until } from './helpers.js'
import { heldBy, rejection } from './util.js'

describe('tw.trigger with lock and wait', () => {
  it('two locked triggers at once: one run, one LockedError; the lock frees when the run ends', async () => {
    const tw = makeTickwork()
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    tw.job('report', { run: () => gate })
    await tw.start()
    const results = await Promise.allSettled([
      tw.trigger('report', null, { lock: true, source: 'trigger' }),
      tw.trigger('report', null, { lock: true, source: 'trigger' }),
    ])
    const ok = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r) => r.status === 'rejected')
    expect(ok).toHaveLength(1)
    expect(refused).toHaveLength(1)
    const err = (refused[0] as PromiseRejectedResult).reason
    expect(err).toBeInstanceOf(LockedError)
    expect(err.code).toBe('LOCKED')
    expect(err.retryAfterMs).toBeGreaterThan(3_500_000)
    const { id } = (ok[0] as PromiseFulfilledResult<{ id: string }>).value
    expect((await tw.runs.get(id))?.source).toBe('trigger')
    expect((await tw.lock.get('job-lock:report'))?.owner).toMatch(heldBy(id))
    expect(await tw.runs.counts('report')).toMatchObject({ waiting: 0, active: 1 })
    release()
    await until(async () => (await tw.lock.get('job-lock:report')) === undefined)
    expect((await tw.runs.get(id))?.state).toBe('completed')
    await tw.trigger('report', null, { lock: true, source: 'trigger' })
  })

  it('takes over a lock whose run ended without freeing it, and after the lease expired', async () => {
    const clock = manualClock()
    const tw = makeTickwork({ clock })
    tw.job('sync', { run: () => {} })
    const first = await tw.trigger('sync', null, { lock: { ttl: '10m' } })
    // cancelled while waiting: nothing frees its lock, but the run is over
    await tw.runs.cancel(first.id)
    const second = await tw.trigger('sync', null, { lock: { ttl: '10m' } })
    expect((await tw.lock.get('job-lock:sync'))?.owner).toMatch(heldBy(second.id))
    // the holder's run is live (no worker runs it): refused until the lease lapses
    expect(await rejection(tw.trigger('sync', null, { lock: true }))).toBeInstanceOf(LockedError)
    clock.advance(10 * 60_000 + 1)
    const third = await tw.trigger('sync', null, { lock: true })
    expect((await tw.lock.get('job-lock:sync'))?.owner).toMatch(heldBy(third.id))
  })

  it('wait runs the run inline in a process whose worker never started', async () => {
    const tw = makeTickwork()
    tw.job('inline', { run: ({ payload }) => ({ doubled: (payload as number) * 2 }) })
    tw.job('other', { run: () => {} })
    const other = await tw.enqueue('other', null)
    const { id, run } = await tw.trigger('inline', 21, { wait: true, lock: true })
    expect(run).toMatchObject({ id, state: 'completed', result: { doubled: 42 }, attempt: 1 })
    // the inline worker runs what it is handed, and fetches nothing else
    expect((await tw.runs.get(other.id))?.state).toBe('waiting')
    expect(await tw.lock.get('job-lock:inline')).toBeUndefined()
  })

  it('wait reports a failed run with its error', async () => {
    const tw = makeTickwork()
    tw.job('broken', {
      retry: { attempts: 1 },
      run: () => {
        throw new Error('boom')
      },
    })
    await tw.start()
    const { run } = await tw.trigger('broken', null, { wait: true })
    expect(run?.state).toBe('failed')
    expect(run?.errors[0]?.message).toBe('boom')
  })

  it('a triggered run is overlap for the schedule', async () => {
    const clock = manualClock(Date.parse('2026-01-01T00:00:30Z'))
    const tw = makeTickwork({ clock })
    tw.job('tick', {
      schedule: '* * * * *',
      run: ({ signal }) => new Promise((r) => signal.addEventListener('abort', r)),
    })
    await tw.start({ worker: false })
    await tw.trigger('tick', null, { source: 'trigger' })
    const skipped: Date[] = []
    tw.on('schedule:skipped', (e) => skipped.push(e.tick))
    clock.advance(60_000)
    await until(() => skipped.length === 1)
  })

  it('refuses bad options and unknown jobs, writing nothing', async () => {
    const tw = makeTickwork()
    tw.job('j', { run: () => {} })
    expect(await rejection(tw.trigger('nope'))).toBeInstanceOf(NotFoundError)
    const bad = await rejection(tw.trigger('j', null, { lock: { ttl: 'soon' } }))
    expect(bad).toBeInstanceOf(ValidationError)
    expect(bad.message).toMatch(/lock\.ttl/)
    const unknown = await rejection(tw.trigger('j', null, { wat: 1 } as never))
    expect(unknown.message).toMatch(/wat: unknown option/)
    expect(await tw.runs.counts('j')).toMatchObject({ waiting: 0 })
  })

  it('wait goes on through retries, at their time, until the run ends', async () => {
    const tw = makeTickwork()
    tw.job('flaky', {
      retry: { attempts: 3, backoff: 'fixed', delay: '50ms' },
      run: ({ attempt }) => {
        if (attempt < 3) throw new Error(`try ${attempt}`)
        return attempt
      },
    })
    const { run } = await tw.trigger('flaky', null, { wait: true, lock: true })
    expect(run).toMatchObject({ state: 'completed', attempt: 3, result: 3 })
    expect(run?.errors.map((e) => e.message)).toEqual(['try 1', 'try 2'])
    expect(await tw.lock.get('job-lock:flaky')).toBeUndefined()
  })

  it('a stop during a wait hands the run back and rejects the wait, instead of hanging', async () => {
    const schema = freshSchema()
    const tw = makeTickwork({ schema })
    tw.job('slow', { run: ({ signal }) => new Promise((r) => signal.addEventListener('abort', r)) })
    const waiting = rejection(tw.trigger('slow', null, { wait: true }))
    const id = await new Promise<string>((resolve) => tw.once('run:started', (e) => resolve(e.id)))
    await tw.stop({ grace: 50 })
    const err = await waiting
    expect(err).toBeInstanceOf(StateError)
    expect(err.message).toMatch(/went back to the queue/)
    const again = makeTickwork({ schema })
    expect((await again.runs.get(id))?.state).toBe('waiting')
  })

  it('wait keeps to globalConcurrency: it runs once the other run ends', async () => {
    const tw = makeTickwork()
    let running = 0
    let peak = 0
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => {
      open = r
    })
    tw.job('single', {
      globalConcurrency: 1,
      run: async ({ payload }) => {
        peak = Math.max(peak, ++running)
        if (payload === 'first') await gate
        running--
      },
    })
    await tw.start()
    await tw.enqueue('single', 'first')
    await until(() => running === 1)
    const waited = tw.trigger('single', 'second', { wait: true })
    await new Promise((r) => setTimeout(r, 300))
    expect(peak).toBe(1)
    open()
    expect((await waited).run?.state).toBe('completed')
    expect(peak).toBe(1)
  })

  it('a job defined after a wait trigger runs inline too', async () => {
    const tw = makeTickwork()
    tw.job('a', { run: () => 'a' })
    await tw.trigger('a', null, { wait: true })
    tw.job('b', { run: () => 'b' })
    expect((await tw.trigger('b', null, { wait: true })).run?.result).toBe('b')
  })

  it('a lock held by anything but one of its own runs is never taken over', async () => {
    const tw = makeTickwork()
    tw.job('legacy', { run: () => {} })
    // run 1 has ended; the legacy system's owner '1' looks like its id
    expect((await tw.trigger('legacy', null, { wait: true })).id).toBe('1')
    await tw.lock.acquire('job-lock:legacy', { owner: '1', ttl: '1h' })
    expect(await rejection(tw.trigger('legacy', null, { lock: true }))).toBeInstanceOf(LockedError)
    expect(await rejection(tw.trigger('legacy', null, { lock: true }))).toBeInstanceOf(LockedError)
    expect((await tw.lock.get('job-lock:legacy'))?.owner).toBe('1')
  })

  it('a locked trigger while a scheduled run is unfinished is LOCKED; once it ended, it runs', async () => {
    const T0 = Date.parse('2026-03-01T01:59:59Z')
    const clock = manualClock(T0)
    const tw = makeTickwork({ clock })
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const started: string[] = []
    tw.job('check', {
      schedule: '0 2 * * *',
      run: ({ run }) => {
        started.push(run.source)
        return run.source === 'schedule' ? gate : undefined
      },
    })
    await tw.start()
    clock.set(T0 + 1_000)
    await until(() => started.length === 1)
    const err = await rejection<LockedError>(tw.trigger('check', null, { lock: true }))
    expect(err).toBeInstanceOf(LockedError)
    expect(err.retryAfterMs).toBe(3_600_000)
    expect(err.details).toMatchObject({
      name: 'job-lock:check',
      owner: expect.stringMatching(/:run:1$/),
    })
    // without the lock a trigger is the caller's to overlap
    await tw.trigger('check', null)
    release()
    await until(async () => (await tw.runs.counts('check')).completed === 2)
    const { run } = await tw.trigger('check', null, { lock: true, wait: true })
    expect(run?.state).toBe('completed')
    expect(started).toEqual(['schedule', 'manual', 'trigger'])
  })

  it.each(drivers)(
    'a windowed job triggered while its locked window run is unfinished is LOCKED, and lock:contended is told ($driver)',
    async ({ database }) => {
      const tw = makeTickwork({ database: database() })
      tw.job('win', { window: { lookback: 0 }, run: () => {} })
      const contended: string[] = []
      // a listener may call tickwork: it is told after the trigger's transaction
      tw.on('lock:contended', (e) => {
        contended.push(e.name)
        void tw.runs.counts('win')
      })
      await tw.trigger('win', null, { lock: true })
      const err = await rejection(tw.trigger('win', null, { lock: true }))
      expect(err).toBeInstanceOf(LockedError)
      expect((err as LockedError).holder.owner).toMatch(/:run:1$/)
      expect(contended).toEqual(['job-lock:win'])
    },
  )

  it('a cancel reaches a handler a wait trigger runs at once, not at the next lease renewal', async () => {
    const tw = makeTickwork({ leaseTime: '1h' })
    tw.job('long', { run: ({ signal }) => new Promise((r) => signal.addEventListener('abort', r)) })
    const waited = tw.trigger('long', null, { wait: true })
    const id = await new Promise<string>((resolve) => tw.once('run:started', (e) => resolve(e.id)))
    const t0 = Date.now()
    await tw.runs.cancel(id)
    expect((await waited).run?.state).toBe('cancelled')
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('a stop while a waited run backs off before its retry rejects the wait with StateError', async () => {
    const tw = makeTickwork()
    tw.job('later', {
      retry: { attempts: 2, backoff: 'fixed', delay: '1h' },
      run: () => {
        throw new Error('not yet')
      },
    })
    const waited = rejection(tw.trigger('later', null, { wait: true }))
    await new Promise((resolve) => tw.once('run:retrying', resolve))
    await tw.stop({ grace: 0 })
    expect(await waited).toBeInstanceOf(StateError)
  })

  it('wait keeps to globalConcurrency where no process ever started', async () => {
    const schema = freshSchema()
    let running = 0
    let peak = 0
    const define = () => {
      const tw = makeTickwork({ schema })
      tw.job('single', {
        globalConcurrency: 1,
        run: async () => {
          peak = Math.max(peak, ++running)
          await new Promise((r) => setTimeout(r, 200))
          running--
        },
      })
      return tw
    }
    const [a, b] = [define(), define()]
    const runs = await Promise.all([
      a.trigger('single', null, { wait: true }),
      b.trigger('single', null, { wait: true }),
    ])
    expect(runs.map((r) => r.run?.state)).toEqual(['completed', 'completed'])
    expect(peak).toBe(1)
  })

  it('stop keeps the database open for what it is told to wait for (a server answering)', async () => {
    const tw = makeTickwork()
    tw.job('j', { run: () => {} })
    await tw.start()
    let answered: () => void = () => {}
    const until = new Promise<void>((r) => {
      answered = r
    })
    const stopped = tw.stop({ grace: 0, until })
    await new Promise((r) => setTimeout(r, 100))
    // the roles have stopped; a request still in flight is answered from the database
    expect(await tw.runs.counts('j')).toMatchObject({ waiting: 0 })
    answered()
    await stopped
    expect(await rejection(tw.runs.counts('j'))).toBeInstanceOf(StateError)
  })
})
