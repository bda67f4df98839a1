import parsePrometheus from 'parse-prometheus-text-format'
import { expect, it } from 'vitest'
import { makeTickwork, manualClock, until } from '../../test/helpers.js'
import type { RunContext } from '../index.js'
import { createMetrics, type Metrics } from './metrics.js'

const T0 = Date.parse('2026-01-01T00:30:00Z')

type Scrape = Map<string, ReturnType<typeof parsePrometheus>[number]>

/**
 * The rendered text parsed, by family name. The parser folds a labelled histogram into
 * one sample, so histograms are read as untyped: their `_bucket`, `_sum` and `_count`
 * series come out as families of plain samples, merged here by name.
 */
async function scrape(metrics: Metrics): Promise<Scrape> {
  const text = (await metrics.render()).replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')
  const m: Scrape = new Map()
  for (const f of parsePrometheus(text)) {
    const seen = m.get(f.name)
    if (seen) seen.metrics.push(...f.metrics)
    else m.set(f.name, f)
  }
  return m
}

/** The sample of `name` with exactly these labels. */
function sample(m: Scrape, name: string, labels: Record<string, string> = {}) {
  const want = Object.entries(labels)
  return m
    .get(name)
    ?.metrics.find(
      (s) =>
        Object.keys(s.labels ?? {}).length === want.length &&
        want.every(([k, v]) => s.labels?.[k] === v),
    )
}

const value = (m: Scrape, name: string, labels?: Record<string, string>) => {
  const v = sample(m, name, labels)?.value
  return v === undefined ? undefined : Number(v)
}

/** A handler that holds each run until released (or aborted). */
function gated() {
  const gates: Array<() => void> = []
  const run = (ctx: RunContext) =>
    new Promise<void>((resolve, reject) => {
      gates.push(resolve)
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
    })
  return { gates, run }
}

it('counts runs started, completed, retried and failed, and times them by outcome', async () => {
  const tw = makeTickwork()
  const metrics = createMetrics(tw)
  tw.job('ok', { run: () => 'done' })
  let flaky = 0
  tw.job('flaky', {
    retry: { attempts: 2, delay: 10 },
    run: () => {
      if (flaky++ === 0) throw new Error('once')
    },
  })
  tw.job('bad', {
    retry: { attempts: 2, delay: 10 },
    run: () => {
      throw new Error('always')
    },
  })
  const ended: string[] = []
  tw.on('run:completed', (e) => ended.push(e.job))
  tw.on('run:failed', (e) => ended.push(e.job))
  await tw.start()
  for (const job of ['ok', 'ok', 'flaky', 'bad']) await tw.enqueue(job)
  await until(() => ended.length === 4)

  const m = await scrape(metrics)
  const by = (name: string) => (job: string) => value(m, `tickwork_${name}`, { job })
  expect(['ok', 'flaky', 'bad'].map(by('runs_started_total'))).toEqual([2, 2, 2])
  expect(['ok', 'flaky', 'bad'].map(by('runs_completed_total'))).toEqual([2, 1, undefined])
  expect(['ok', 'flaky', 'bad'].map(by('runs_retried_total'))).toEqual([undefined, 1, 1])
  expect(['ok', 'flaky', 'bad'].map(by('runs_failed_total'))).toEqual([undefined, undefined, 1])
  const count = (job: string, outcome: string) =>
    value(m, 'tickwork_run_duration_seconds_count', { job, outcome })
  expect(count('ok', 'completed')).toBe(2)
  expect(count('flaky', 'retried')).toBe(1)
  expect(count('bad', 'retried')).toBe(1)
  expect(count('bad', 'failed')).toBe(1)
  expect(m.has('process_cpu_user_seconds_total')).toBe(true)
  // job names label the series, never a run id
  for (const [name, family] of m) {
    if (!name.startsWith('tickwork_')) continue
    for (const s of family.metrics)
      for (const label of Object.keys(s.labels ?? {}))
        expect(['job', 'state', 'outcome', 'name', 'le']).toContain(label)
  }

  // once closed, events are no longer counted
  metrics.close()
  await tw.enqueue('ok')
  await until(() => ended.length === 5)
  expect(value(await scrape(metrics), 'tickwork_runs_completed_total', { job: 'ok' })).toBe(2)
})

it('counts skipped and missed ticks and contended locks', async () => {
  const clock = manualClock(T0)
  const tw = makeTickwork({ clock })
  const metrics = createMetrics(tw, { defaultMetrics: false })
  const g = gated()
  tw.job('minutely', { schedule: '* * * * *', run: g.run })
  tw.job('hourly', { schedule: '0 * * * *', run: () => {} })
  const missed: number[] = []
  tw.on('schedule:missed', (e) => missed.push(e.ticks.length))
  let skipped = 0
  tw.on('schedule:skipped', () => skipped++)
  await tw.start()
  clock.set(Date.parse('2026-01-01T00:31:00.010Z'))
  await until(() => g.gates.length === 1)
  // the 00:31 run is still going: the 00:32 tick is skipped
  clock.set(Date.parse('2026-01-01T00:32:00.010Z'))
  await until(() => skipped === 1)
  // no more minutely ticks: the jump below is for the hourly schedule
  await tw.pause('minutely')
  clock.set(Date.parse('2026-01-01T05:00:10Z'))
  await until(() => missed.length > 0)
  expect(await tw.lock.acquire('nightly')).toBeDefined()
  expect(await tw.lock.acquire('nightly')).toBeUndefined()
  expect(await tw.lock.acquire('job-lock:report')).toBeDefined()
  expect(await tw.lock.acquire('job-lock:report')).toBeUndefined()

  const m = await scrape(metrics)
  expect(value(m, 'tickwork_schedule_ticks_skipped_total', { job: 'minutely' })).toBe(1)
  // 01:00 to 04:00 were missed; 05:00, the latest, ran
  expect(value(m, 'tickwork_schedule_ticks_missed_total', { job: 'hourly' })).toBe(4)
  // a trigger lock is a series of its own; any other name counts under 'other'
  expect(value(m, 'tickwork_lock_contended_total', { name: 'other' })).toBe(1)
  expect(value(m, 'tickwork_lock_contended_total', { name: 'job-lock:report' })).toBe(1)
  expect(value(m, 'tickwork_lock_contended_total', { name: 'nightly' })).toBeUndefined()
})

it('reads live runs, the oldest wait and the schedules from the database at each scrape', async () => {
  const clock = manualClock(T0)
  // a long lease: the clock jumps below must not make the held run look stalled
  const tw = makeTickwork({ clock, leaseTime: '10m' })
  const metrics = createMetrics(tw, { defaultMetrics: false, prefix: 'tw_' })
  const g = gated()
  tw.job('held', { run: g.run })
  tw.job('minutely', { schedule: '* * * * *', run: () => {} })
  tw.job('stopped', { schedule: '* * * * *', run: () => {} })
  // no scheduler: the 00:31 ticks stay unhandled, so the lag shows
  await tw.start({ scheduler: false, maintenance: false })
  await tw.pause('stopped')
  for (let i = 0; i < 3; i++) await tw.enqueue('held')
  await tw.enqueue('held', undefined, { delay: '1h' })
  await until(() => g.gates.length === 1)
  // 00:31:20: the runs have waited 80 s, the 00:31 tick is 20 s overdue
  clock.set(T0 + 80_000)

  let m = await scrape(metrics)
  const runs = (job: string, state: string) => value(m, 'tw_runs', { job, state })
  expect([runs('held', 'waiting'), runs('held', 'delayed'), runs('held', 'active')]).toEqual([
    2, 1, 1,
  ])
  expect(runs('minutely', 'waiting')).toBe(0)
  expect(value(m, 'tw_oldest_waiting_age_seconds', { job: 'held' })).toBe(80)
  expect(value(m, 'tw_schedule_lag_seconds', { job: 'minutely' })).toBe(20)
  expect(value(m, 'tw_schedule_lag_seconds', { job: 'stopped' })).toBe(0)
  expect(value(m, 'tw_schedule_paused', { job: 'minutely' })).toBe(0)
  expect(value(m, 'tw_schedule_paused', { job: 'stopped' })).toBe(1)
  expect(value(m, 'tw_scrape_error')).toBe(0)

  for (let i = 0; i < 3; i++) {
    await until(() => g.gates.length > i)
    g.gates[i]?.()
  }
  await until(async () => (await tw.runs.counts('held')).completed === 3)
  m = await scrape(metrics)
  // the job is still there, at zero, rather than gone from the scrape
  expect([runs('held', 'waiting'), runs('held', 'delayed'), runs('held', 'active')]).toEqual([
    0, 1, 0,
  ])
  expect(value(m, 'tw_oldest_waiting_age_seconds', { job: 'held' })).toBe(0)
})

it('a scrape that cannot read the database says so and keeps the counters', async () => {
  const tw = makeTickwork()
  const metrics = createMetrics(tw, { defaultMetrics: false })
  tw.job('ok', { run: () => {} })
  const done = new Promise((resolve) => tw.once('run:completed', resolve))
  await tw.start()
  await tw.enqueue('ok')
  await done
  let m = await scrape(metrics)
  expect(value(m, 'tickwork_scrape_error')).toBe(0)
  expect(value(m, 'tickwork_runs', { job: 'ok', state: 'waiting' })).toBe(0)

  await tw.stop()
  m = await scrape(metrics)
  expect(value(m, 'tickwork_scrape_error')).toBe(1)
  expect(value(m, 'tickwork_runs_completed_total', { job: 'ok' })).toBe(1)
  // no stale numbers from the last good scrape
  expect(m.get('tickwork_runs')?.metrics ?? []).toEqual([])
  expect(m.get('tickwork_oldest_waiting_age_seconds')?.metrics ?? []).toEqual([])
})
