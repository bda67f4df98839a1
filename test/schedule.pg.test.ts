import { expect, it } from 'vitest'
import type { RunContext } from '../src/index.js'
import { ConflictError, ValidationError } from '../src/index.js'
import { freshSchema, makeTickwork, manualClock, pgClient, until } from './helpers.js'

const T0 = Date.parse('2026-01-01T00:30:00Z')

const db = await pgClient()

/** The ticks table of a schema: tick time → outcome. */
async function ticks(schema: string, job: string): Promise<Record<string, string>> {
  const { rows } = await db.query<{ at: Date; outcome: string }>(
    `SELECT at, outcome FROM "${schema}".ticks WHERE job = $1 ORDER BY at`,
    [job],
  )
  return Object.fromEntries(rows.map((r) => [r.at.toISOString().slice(11, 16), r.outcome]))
}

it.each([
  [
    'latest',
    { '01:00': 'missed', '02:00': 'missed', '03:00': 'missed', '04:00': 'missed', '05:00': 'run' },
  ],
  ['all', { '01:00': 'missed', '02:00': 'missed', '03:00': 'run', '04:00': 'run', '05:00': 'run' }],
  [
    'none',
    {
      '01:00': 'missed',
      '02:00': 'missed',
      '03:00': 'missed',
      '04:00': 'missed',
      '05:00': 'missed',
    },
  ],
] as const)('catch-up %s after five hours down', async (catchUp, expected) => {
  const schema = freshSchema()
  const clock = manualClock(T0)
  const job = {
    // the default overlap, 'skip': ticks caught up together are not each other's overlap
    schedule: { cron: '0 * * * *', catchUp, catchUpWindow: '2.5h' },
    run: () => {},
  }
  const before = makeTickwork({ schema, clock })
  before.job('hourly', job)
  await before.start()
  await before.stop()
  // down from 00:30 to 05:00:10; a new process comes up
  clock.set(Date.parse('2026-01-01T05:00:10Z'))
  const after = makeTickwork({ schema, clock })
  after.job('hourly', job)
  const missed: number[] = []
  after.on('schedule:missed', (e) => missed.push(e.ticks.length))
  await after.start()
  await until(async () => Object.keys(await ticks(schema, 'hourly')).length === 5)
  expect(await ticks(schema, 'hourly')).toEqual(expected)
  const ran = Object.values(expected).filter((o) => o === 'run').length
  await until(async () => (await after.runs.counts('hourly')).completed === ran)
  expect(missed.reduce((a, b) => a + b, 0)).toBe(5 - ran)
})

/** A job whose runs wait until released, one gate per tick. */
function gated() {
  const started: string[] = []
  const aborted: string[] = []
  const gates = new Map<string, () => void>()
  const run = async (ctx: RunContext) => {
    const tick = (ctx.run.tick as Date).toISOString().slice(11, 16)
    started.push(tick)
    await new Promise<void>((resolve, reject) => {
      gates.set(tick, resolve)
      ctx.signal.addEventListener('abort', () => {
        aborted.push(tick)
        reject(ctx.signal.reason)
      })
    })
  }
  return { started, aborted, release: (tick: string) => gates.get(tick)?.(), run }
}

it.each([
  ['skip', ['00:31'], { '00:31': 'run', '00:32': 'skipped', '00:33': 'skipped' }],
  ['queue', ['00:31'], { '00:31': 'run', '00:32': 'queued', '00:33': 'skipped' }],
  ['allow', ['00:31', '00:32', '00:33'], { '00:31': 'run', '00:32': 'run', '00:33': 'run' }],
  [
    'cancel-previous',
    ['00:31', '00:32', '00:33'],
    { '00:31': 'run', '00:32': 'run', '00:33': 'run' },
  ],
] as const)('overlap %s', async (overlap, starts, expected) => {
  const schema = freshSchema()
  const clock = manualClock(T0)
  // the clock jumps a minute a tick: a lease shorter than that would lapse under the
  // held runs and the stalled sweep would start them again
  const tw = makeTickwork({ schema, clock, leaseTime: '1h' })
  const g = gated()
  tw.job('minutely', { schedule: { cron: '* * * * *', overlap }, concurrency: 3, run: g.run })
  await tw.start()
  for (const minute of [31, 32, 33]) {
    clock.set(Date.parse(`2026-01-01T00:${minute}:00.010Z`))
    await until(async () => Object.keys(await ticks(schema, 'minutely')).length === minute - 30)
    // a run must have started before the next tick can overlap it
    await until(() => g.started.length >= Math.min(starts.length, minute - 30))
  }
  await until(() => g.started.length === starts.length)
  expect(g.started).toEqual(starts)
  expect(await ticks(schema, 'minutely')).toEqual(expected)
  if (overlap === 'cancel-previous') {
    expect(g.aborted).toEqual(['00:31', '00:32'])
    expect((await tw.runs.counts('minutely')).cancelled).toBe(2)
  }
  if (overlap === 'queue') {
    // the held tick runs once the previous run ends
    g.release('00:31')
    await until(() => g.started.length === 2)
    expect(g.started).toEqual(['00:31', '00:32'])
    expect((await ticks(schema, 'minutely'))['00:32']).toBe('run')
  }
  for (const t of g.started) g.release(t)
})

it('overlap queue: the held tick runs before a newer one', async () => {
  const schema = freshSchema()
  const clock = manualClock(T0)
  // the clock jumps a minute a tick: a lease shorter than that would lapse under the
  // held runs and the stalled sweep would start them again
  const tw = makeTickwork({ schema, clock, leaseTime: '1h' })
  const g = gated()
  tw.job('minutely', { schedule: { cron: '* * * * *', overlap: 'queue' }, run: g.run })
  await tw.start()
  clock.set(Date.parse('2026-01-01T00:31:00.010Z'))
  await until(() => g.started.length === 1)
  clock.set(Date.parse('2026-01-01T00:32:00.010Z'))
  await until(async () => (await ticks(schema, 'minutely'))['00:32'] === 'queued')
  // the previous run ends and the next tick comes at once
  g.release('00:31')
  clock.set(Date.parse('2026-01-01T00:33:00.010Z'))
  await until(() => g.started.length === 2)
  await until(async () => (await ticks(schema, 'minutely'))['00:33'] === 'queued')
  expect(g.started).toEqual(['00:31', '00:32'])
  expect((await ticks(schema, 'minutely'))['00:32']).toBe('run')
  // a pause drops the held tick: nothing paused is caught up
  await tw.pause('minutely')
  expect((await tw.schedules.get('minutely')).pending).toBeNull()
  expect((await ticks(schema, 'minutely'))['00:33']).toBe('skipped')
  g.release('00:32')
})

it('pause, resume and a runtime change made by another instance are followed', async () => {
  const schema = freshSchema()
  const clock = manualClock(T0)
  const worker = makeTickwork({ schema, clock })
  worker.job('job', { schedule: '*/10 * * * *', run: () => {} })
  await worker.start()
  const operator = makeTickwork({ schema, clock })
  expect(await operator.schedules.next('job', 2)).toEqual([
    new Date('2026-01-01T00:40:00Z'),
    new Date('2026-01-01T00:50:00Z'),
  ])
  await operator.pause('job')
  clock.set(Date.parse('2026-01-01T00:40:01Z'))
  await new Promise((r) => setTimeout(r, 400))
  expect(await ticks(schema, 'job')).toEqual({})
  expect(await operator.schedules.next('job')).toEqual([])

  await operator.schedules.update('job', { cron: '15 * * * *', timezone: 'Asia/Kolkata' })
  await operator.resume('job')
  // 15 past in Kolkata (+05:30) is 45 past in UTC: the paused 00:40 tick is not caught up
  expect((await operator.schedules.get('job')).nextAt).toEqual(new Date('2026-01-01T00:45:00Z'))
  clock.set(Date.parse('2026-01-01T00:45:00.005Z'))
  await until(async () => (await ticks(schema, 'job'))['00:45'] === 'run')
  expect(Object.keys(await ticks(schema, 'job'))).toEqual(['00:45'])
  const audit = await operator.audit({ job: 'job' })
  expect(audit.map((a) => a.action)).toEqual([
    'schedule.resume',
    'schedule.update',
    'schedule.pause',
  ])

  // a restart with the same declaration keeps the runtime change
  await worker.stop()
  const again = makeTickwork({ schema, clock })
  again.job('job', { schedule: '*/10 * * * *', run: () => {} })
  await again.start()
  expect((await again.schedules.get('job')).cron).toBe('15 * * * *')
})

it('a bad runtime change is refused and changes nothing', async () => {
  const clock = manualClock(T0)
  const tw = makeTickwork({ clock })
  tw.job('job', { schedule: '0 * * * *', run: () => {} })
  await tw.start()
  const before = await tw.schedules.get('job')
  await expect(tw.schedules.update('job', { cron: '0 25 * * *' })).rejects.toMatchObject({
    code: 'VALIDATION',
    issues: [{ path: 'cron', message: expect.stringMatching(/hour/) }],
  })
  await expect(tw.schedules.update('job', { timezone: 'Europe/Nowhere' })).rejects.toThrow(
    /timezone: expected an IANA time zone/,
  )
  await expect(tw.schedules.update('job', {})).rejects.toThrow(ValidationError)
  await expect(tw.schedules.update('job', { cron: 1 } as never)).rejects.toThrow(/cron/)
  expect(await tw.schedules.get('job')).toEqual(before)
  expect(await tw.audit({ job: 'job' })).toEqual([])
  await expect(tw.pause('other')).rejects.toThrow(/has no schedule/)
  await expect(tw.schedules.update('other', { cron: '* * * * *' })).rejects.toThrow(/not defined/)
  await expect(tw.watermark.set('job', new Date())).rejects.toThrow(/no window/)
  await expect(tw.watermark.set('job', 'soon')).rejects.toThrow(ValidationError)
  await expect(tw.audit({ limit: -1 })).rejects.toThrow(/limit/)
  await expect(tw.schedules.next('job', 0)).rejects.toThrow(ValidationError)
})

it("items are kept as long as their job's runs", async () => {
  const clock = manualClock(T0)
  const tw = makeTickwork({ clock, maintenanceInterval: 50 })
  const hour = { age: '1h' }
  const job = tw.job('once', {
    keep: { completed: hour, failed: hour, cancelled: hour },
    run: ({ items }) => items.each(['a', 'b'], {}, () => {}),
  })
  await tw.start()
  const { id } = await job.enqueue(null)
  await until(async () => (await tw.items.list({ run: id })).length === 2)
  await until(async () => (await tw.runs.get(id))?.state === 'completed')
  clock.advance(3_600_001)
  await until(async () => (await tw.runs.get(id)) === undefined)
  await until(async () => (await tw.items.list({ run: id })).length === 0)
})

it("a scheduled run and triggers at the tick's own instant each do all their items", async () => {
  const clock = manualClock(Date.parse('2026-01-01T00:59:59.900Z'))
  const tw = makeTickwork({ clock })
  const done: string[] = []
  tw.job('report', {
    schedule: '0 * * * *',
    run: ({ run, items }) =>
      items.each(['u1', 'u2'], { key: (u) => u }, (u) => {
        done.push(`${run.source}:${u}`)
      }),
  })
  await tw.start()
  clock.set(Date.parse('2026-01-01T01:00:00Z'))
  await until(() => done.length === 2)
  // the clock stands still: both triggers' runs carry the tick's own time
  await tw.trigger('report', null, { wait: true })
  await tw.trigger('report', null, { wait: true })
  expect(done.sort()).toEqual(
    ['manual:u1', 'manual:u1', 'manual:u2', 'manual:u2', 'schedule:u1', 'schedule:u2'].sort(),
  )
})

it('refuses a bad schedule when the job is defined', () => {
  const tw = makeTickwork()
  expect(() => tw.job('a', { schedule: '61 * * * *', run: () => {} })).toThrow(ValidationError)
  expect(() =>
    tw.job('b', { schedule: { cron: '* * * * *', timezone: 'Nowhere/Land' }, run: () => {} }),
  ).toThrow(/schedule.timezone/)
  expect(() =>
    tw.job('c', { schedule: { cron: '* * * * *', overlap: 'allow' }, window: {}, run: () => {} }),
  ).toThrow(/schedule.overlap/)
})

it('windows: the watermark moves with each completion, stays on failure, gaps split', async () => {
  const schema = freshSchema()
  const clock = manualClock(Date.parse('2026-01-01T01:59:00Z'))
  const tw = makeTickwork({ schema, clock })
  const seen: string[] = []
  let fail = false
  tw.job('vc', {
    schedule: { cron: '0 * * * *' },
    window: { lookback: '10m', maxSpan: '1h', start: '2026-01-01T00:00:00Z' },
    retry: { attempts: 1 },
    run: ({ window }) => {
      const w = window as { from: Date; to: Date }
      seen.push(`${w.from.toISOString().slice(11, 16)}-${w.to.toISOString().slice(11, 16)}`)
      if (fail) throw new Error('source down')
    },
  })
  await tw.start()
  // 02:00 tick: [00:00, 01:50) is longer than maxSpan, so two windows, oldest first
  clock.set(Date.parse('2026-01-01T02:00:00.005Z'))
  await until(() => seen.length === 2)
  await until(
    async () => (await tw.watermark.get('vc'))?.toISOString() === '2026-01-01T01:50:00.000Z',
  )
  expect(seen).toEqual(['00:00-01:00', '01:00-01:50'])

  // 03:00 fails: the watermark stays
  fail = true
  clock.set(Date.parse('2026-01-01T03:00:00.005Z'))
  await until(async () => (await tw.runs.counts('vc')).failed === 1)
  expect((await tw.watermark.get('vc'))?.toISOString()).toBe('2026-01-01T01:50:00.000Z')
  // 04:00 covers the gap the failure left
  fail = false
  clock.set(Date.parse('2026-01-01T04:00:00.005Z'))
  await until(
    async () => (await tw.watermark.get('vc'))?.toISOString() === '2026-01-01T03:50:00.000Z',
  )
  expect(seen).toEqual(['00:00-01:00', '01:00-01:50', '01:50-02:50', '01:50-02:50', '02:50-03:50'])

  // a manual reset, audited; a trigger processes from there to now minus lookback
  await tw.watermark.set('vc', '2026-01-01T03:00:00Z')
  clock.set(Date.parse('2026-01-01T04:20:00Z'))
  await tw.trigger('vc')
  await until(() => seen.length === 7)
  expect(seen.slice(5)).toEqual(['03:00-04:00', '04:00-04:10'])
  expect((await tw.audit({ job: 'vc' }))[0]).toMatchObject({
    action: 'watermark.set',
    detail: { from: '2026-01-01T03:50:00.000Z', to: '2026-01-01T03:00:00.000Z' },
  })
})

it('a trigger of a windowed job waits for the unfinished window run', async () => {
  const clock = manualClock(T0)
  const tw = makeTickwork({ clock })
  const g = gated()
  tw.job('w', { window: {}, run: g.run })
  await tw.start()
  const first = await tw.trigger('w')
  await until(() => g.started.length === 1)
  await expect(tw.trigger('w')).rejects.toThrow(ConflictError)
  g.release('00:30')
  await until(async () => (await tw.runs.get(first.id))?.state === 'completed')
  expect(await tw.runs.get(first.id)).toMatchObject({
    source: 'manual',
    tick: new Date(T0),
    window: { from: new Date(T0), to: new Date(T0) },
    backfill: null,
  })
  await expect(tw.trigger('nope')).rejects.toThrow(/not defined/)
})

it('item log: a retried run redoes only the items that failed', async () => {
  const clock = manualClock(T0)
  const tw = makeTickwork({ clock })
  const calls: string[] = []
  const counts: unknown[] = []
  const job = tw.job('report', {
    retry: { attempts: 2, backoff: 'fixed', delay: '1s' },
    run: async ({ items, attempt }) => {
      counts.push(
        await items.each(
          ['u1', 'u2', 'u3', 'u4', 'u5'],
          { batchSize: 2, concurrency: 2, failRun: 'any' },
          async (user) => {
            calls.push(`${attempt}:${user}`)
            if (attempt === 1 && user === 'u4') throw new Error('no balance')
          },
        ),
      )
    },
  })
  await tw.start()
  const { id } = await job.enqueue(null)
  await until(async () => (await tw.runs.get(id))?.state === 'delayed')
  const failed = await tw.items.list({ job: 'report', ok: false })
  expect(failed).toMatchObject([{ key: 'u4', runId: id, error: { message: 'no balance' } }])
  clock.advance(1500)
  await until(async () => (await tw.runs.get(id))?.state === 'completed')
  expect(calls.filter((c) => c.startsWith('2:'))).toEqual(['2:u4'])
  expect(counts).toEqual([{ total: 5, ok: 1, failed: 0, skipped: 4 }])
  expect(await tw.items.list({ run: id, ok: false })).toEqual([])
  expect(await tw.items.list({ run: id })).toHaveLength(5)
  await expect(tw.items.list({ run: 'x' } as never)).rejects.toThrow(ValidationError)
})

it('backfill: one run per tick, oldest first, bounded; a second adds nothing', async () => {
  const clock = manualClock(Date.parse('2026-02-01T12:00:00Z'))
  const tw = makeTickwork({ clock })
  const days: string[] = []
  let running = 0
  let most = 0
  tw.job('daily', {
    schedule: '0 0 * * *',
    concurrency: 10,
    run: async ({ run }) => {
      most = Math.max(most, ++running)
      days.push((run.tick as Date).toISOString().slice(0, 10))
      await new Promise((r) => setTimeout(r, 20))
      running--
    },
  })
  await tw.start()
  const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-11T00:00:00Z', concurrency: 3 }
  const first = await tw.backfill('daily', range)
  const done = await first.wait({ poll: 50 })
  expect(done).toMatchObject({
    state: 'completed',
    total: 10,
    enqueued: 10,
    existing: 0,
    completed: 10,
  })
  expect(days).toEqual([...days].sort())
  expect(new Set(days).size).toBe(10)
  expect(most).toBeLessThanOrEqual(3)
  const second = await (await tw.backfill('daily', range)).wait({ poll: 50 })
  expect(second).toMatchObject({ state: 'completed', total: 10, enqueued: 0, existing: 10 })
  expect(days).toHaveLength(10)
  await expect(tw.backfill('daily', { from: '2026-03-01', to: '2026-03-02' })).rejects.toThrow(
    /future/,
  )
  await expect(tw.backfill('daily', { from: '2026-01-02', to: '2026-01-01' })).rejects.toThrow(
    ValidationError,
  )
})

it('backfill of a windowed job: each tick its own window; cancel frees the rest', async () => {
  const clock = manualClock(Date.parse('2026-01-02T00:00:00Z'))
  const tw = makeTickwork({ clock })
  const g = gated()
  const windows: string[] = []
  tw.job('vc', {
    schedule: '0 */6 * * *',
    window: { lookback: '1h' },
    run: async (ctx) => {
      const w = ctx.window as { from: Date; to: Date }
      windows.push(`${w.from.toISOString().slice(11, 16)}-${w.to.toISOString().slice(11, 16)}`)
      await g.run(ctx)
    },
  })
  await tw.start()
  const b = await tw.backfill('vc', {
    from: '2026-01-01T00:00:00Z',
    to: '2026-01-02T00:00:00Z',
    concurrency: 1,
  })
  await until(() => windows.length === 1)
  g.release('00:00')
  await until(() => windows.length === 2)
  expect(windows).toEqual(['17:00-23:00', '23:00-05:00'])
  expect(await tw.watermark.get('vc')).toBeNull()
  expect(await b.cancel()).toBe(true)
  await until(() => g.aborted.length === 1)
  const status = await b.status()
  expect(status).toMatchObject({
    state: 'cancelled',
    total: 4,
    enqueued: 2,
    completed: 1,
    cancelled: 1,
  })
})

it('jitter delays scheduled runs; the job timeout applies to them', async () => {
  const clock = manualClock(T0)
  const tw = makeTickwork({ clock })
  tw.job('jittery', { schedule: { cron: '* * * * *', jitter: '30s' }, run: () => {} })
  tw.job('slow', {
    schedule: '* * * * *',
    timeout: '100ms',
    retry: { attempts: 1 },
    run: ({ signal }) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  })
  const runs: Record<string, string> = {}
  tw.on('schedule:run', (e) => {
    runs[e.job] = e.runId
  })
  await tw.start()
  clock.set(Date.parse('2026-01-01T00:31:00.000Z'))
  await until(() => Object.keys(runs).length === 2)
  const jittered = await tw.runs.get(runs.jittery as string)
  expect(jittered?.tick).toEqual(new Date('2026-01-01T00:31:00Z'))
  expect(jittered?.runAt.getTime()).toBeGreaterThan(Date.parse('2026-01-01T00:31:00Z'))
  expect(jittered?.runAt.getTime()).toBeLessThanOrEqual(Date.parse('2026-01-01T00:31:30Z'))
  await until(async () => (await tw.runs.get(runs.slow as string))?.state === 'failed')
  expect((await tw.runs.get(runs.slow as string))?.errors[0]?.name).toBe('TimeoutError')
})

it('a retried window run redoes only the items that failed in that window', async () => {
  const clock = manualClock(Date.parse('2026-01-01T00:59:00Z'))
  const tw = makeTickwork({ clock })
  const calls: string[] = []
  tw.job('vc', {
    schedule: '0 * * * *',
    window: { start: '2026-01-01T00:00:00Z' },
    retry: { attempts: 2, backoff: 'fixed', delay: '1s' },
    run: async ({ items, attempt }) =>
      items.each(['r1', 'r2', 'r3'], { failRun: 'any' }, (r) => {
        calls.push(`${attempt}:${r}`)
        if (attempt === 1 && r === 'r2') throw new Error('document missing')
      }),
  })
  await tw.start()
  clock.set(Date.parse('2026-01-01T01:00:00.005Z'))
  await until(() => calls.length === 3)
  await until(async () => (await tw.items.list({ job: 'vc', ok: false })).length === 1)
  // the attempt failed (its retry is due a second from the failure): the watermark stays
  await until(async () => (await tw.runs.counts('vc')).delayed === 1)
  expect((await tw.watermark.get('vc'))?.toISOString()).toBe('2026-01-01T00:00:00.000Z')
  clock.advance(1500)
  await until(
    async () => (await tw.watermark.get('vc'))?.toISOString() === '2026-01-01T01:00:00.000Z',
  )
  expect(calls).toEqual(['1:r1', '1:r2', '1:r3', '2:r2'])
  const [item] = await tw.items.list({ job: 'vc' })
  expect(item?.scope).toBe('window:2026-01-01T00:00:00.000Z/2026-01-01T01:00:00.000Z')
})
