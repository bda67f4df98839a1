import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Tickwork } from '../client/tickwork.js'
import type { Backlog } from '../queue/stats.js'
import type { ScheduleInfo } from '../schedule/control.js'
import type { TickworkEvents } from '../worker/events.js'

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** where the metrics register; default a new `Registry` of their own */
  registry?: Registry
  /** put before every tickwork metric's name; default 'tickwork_' */
  prefix?: string
  /**
   * also collect prom-client's process metrics (CPU, memory, event loop), under their
   * standard unprefixed names so stock dashboards find them; default true. Give false
   * when the registry already has them, or registering them again throws.
   */
  defaultMetrics?: boolean
}

/** Tickwork's Prometheus metrics: counters fed by events, gauges read at scrape. */
export interface Metrics {
  registry: Registry
  /** the Content-Type header to serve `render()`'s text with */
  contentType: string
  /**
   * The registry's metrics in the Prometheus text format. Never rejects because the
   * database could not be read: then `scrape_error` is 1 and the database gauges are
   * left out, while the counters go on.
   */
  render(): Promise<string>
  /** Stops counting events (removes the listeners); the registry stays as it is. */
  close(): void
}

// from a 5 ms handler to an hour-long report
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
]

const LIVE_STATES = ['waiting', 'delayed', 'active'] as const

interface Snapshot {
  backlog: Backlog[]
  schedules: ScheduleInfo[]
  now: number
}

/**
 * Registers tickwork's metrics for `tw` in a registry and counts its events from now
 * on. Labels are job names (and lock names) only, never run ids, so the series stay
 * few. Throws prom-client's error when the registry already holds a metric of the
 * same name (a second `createMetrics` on one registry needs another prefix).
 *
 * @example
 * const metrics = createMetrics(tw)
 * app.get('/metrics', async (c) => c.text(await metrics.render(), 200, { 'content-type': metrics.contentType }))
 */
export function createMetrics(tw: Tickwork, options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry()
  const p = options.prefix ?? 'tickwork_'
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const counter = (name: string, help: string, labelNames: string[] = ['job']) =>
    new Counter({ name: p + name, help, labelNames, registers })
  const started = counter('runs_started_total', 'Attempts a worker of this process started')
  const completed = counter('runs_completed_total', 'Runs that completed')
  const failed = counter('runs_failed_total', 'Runs that failed for good')
  const retried = counter('runs_retried_total', 'Failed attempts that will be tried again')
  const skipped = counter('schedule_ticks_skipped_total', 'Ticks skipped for overlap')
  const missed = counter(
    'schedule_ticks_missed_total',
    'Ticks no scheduler handled in time (a lower bound after long downtime)',
  )
  const contended = counter('lock_contended_total', 'Lock attempts that found it held', ['name'])
  const duration = new Histogram({
    name: `${p}run_duration_seconds`,
    help: 'How long attempts ran, by outcome',
    labelNames: ['job', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  })

  // Jobs seen so far, in events or the database: each keeps a zero series once its
  // runs are gone, so a dashboard reads 0 rather than no data.
  const known = new Set<string>()
  const listeners: Array<() => void> = []
  const on = <K extends keyof TickworkEvents & string>(
    event: K,
    listener: (data: TickworkEvents[K]) => void,
  ) => listeners.push(tw.on(event, listener))
  const seen = (job: string) => {
    known.add(job)
    return { job }
  }
  on('run:started', (e) => started.inc(seen(e.job)))
  on('run:completed', (e) => {
    completed.inc(seen(e.job))
    duration.observe({ job: e.job, outcome: 'completed' }, e.durationMs / 1000)
  })
  on('run:failed', (e) => {
    failed.inc(seen(e.job))
    duration.observe({ job: e.job, outcome: 'failed' }, e.durationMs / 1000)
  })
  on('run:retrying', (e) => {
    retried.inc(seen(e.job))
    duration.observe({ job: e.job, outcome: 'retried' }, e.durationMs / 1000)
  })
  on('schedule:skipped', (e) => skipped.inc(seen(e.job)))
  // the ticks beyond those listed are not counted by the scheduler: at least one more
  on('schedule:missed', (e) => missed.inc(seen(e.job), e.ticks.length + (e.more ? 1 : 0)))
  // trigger locks are one per job; other names (a lock per record, say) would make a
  // series each, so they share one
  on('lock:contended', (e) =>
    contended.inc({ name: e.name.startsWith('job-lock:') ? e.name : 'other' }),
  )

  // Every gauge's collect runs at once in a scrape: they share one read of the database.
  let reading: Promise<Snapshot | Error> | undefined
  const snapshot = (): Promise<Snapshot | Error> => {
    reading ??= Promise.all([tw.runs.backlog(), tw.schedules.list()])
      .then(
        ([backlog, schedules]): Snapshot => {
          for (const b of backlog) known.add(b.job)
          for (const s of schedules) known.add(s.job)
          return { backlog, schedules, now: tw.now() }
        },
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      )
      .finally(() => {
        reading = undefined
      })
    return reading
  }
  // reset first: a job or schedule gone since the last scrape must not linger
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, s: Snapshot) => void,
  ) =>
    new Gauge({
      name: p + name,
      help,
      labelNames,
      registers,
      async collect() {
        const s = await snapshot()
        this.reset()
        if (!(s instanceof Error)) fill(this, s)
      },
    })

  gauge('runs', 'Live runs by state', ['job', 'state'], (g, s) => {
    const by = new Map(s.backlog.map((b) => [b.job, b]))
    for (const job of known)
      for (const state of LIVE_STATES) g.set({ job, state }, by.get(job)?.[state] ?? 0)
  })
  gauge(
    'oldest_waiting_age_seconds',
    'How long the oldest due run has waited to start; 0 when none waits',
    ['job'],
    (g, s) => {
      const by = new Map(s.backlog.map((b) => [b.job, b.oldestWaitingAt]))
      for (const job of known) {
        const at = by.get(job)
        g.set({ job }, at ? Math.max(0, s.now - at.getTime()) / 1000 : 0)
      }
    },
  )
  gauge(
    'schedule_lag_seconds',
    'How far the scheduler is behind the next tick it has not handled; 0 when paused',
    ['job'],
    (g, s) => {
      for (const sc of s.schedules)
        g.set({ job: sc.job }, sc.paused ? 0 : Math.max(0, s.now - sc.nextAt.getTime()) / 1000)
    },
  )
  gauge('schedule_paused', 'Whether the schedule is paused (1) or not (0)', ['job'], (g, s) => {
    for (const sc of s.schedules) g.set({ job: sc.job }, sc.paused ? 1 : 0)
  })
  new Gauge({
    name: `${p}scrape_error`,
    help: 'Whether the last scrape failed to read the database (1) or not (0)',
    registers,
    async collect() {
      this.set((await snapshot()) instanceof Error ? 1 : 0)
    },
  })

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close: () => {
      for (const off of listeners.splice(0)) off()
    },
  }
}
