import { describe, expect, it } from 'vitest'
import { LockedError, NotFoundError, ValidationError } from '../src/index.js'
import { makeTickwork, manualClock, until } from './helpers.js'
import { rejection } from './util.js'

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
    expect((await tw.lock.get('job-lock:report'))?.owner).toBe(id)
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
    expect((await tw.lock.get('job-lock:sync'))?.owner).toBe(second.id)
    // the holder's run is live (no worker runs it): refused until the lease lapses
    expect(await rejection(tw.trigger('sync', null, { lock: true }))).toBeInstanceOf(LockedError)
    clock.advance(10 * 60_000 + 1)
    const third = await tw.trigger('sync', null, { lock: true })
    expect((await tw.lock.get('job-lock:sync'))?.owner).toBe(third.id)
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
})
