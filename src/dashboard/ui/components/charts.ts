import uPlot from 'uplot'
import { duration, utc } from '../format'
import type { Activity, Bucket } from '../types'
import type { ChartOptions } from './Chart'

const COLORS = {
  completed: '#1a7f37',
  failed: '#cf222e',
  cancelled: '#8c959f',
  mean: '#8250df',
  axis: '#57606a',
  grid: '#eaeef2',
}

// Outcomes are drawn as stacked bars: each series holds the running total and is drawn
// over the taller one before it, so completed sits at the bottom, then failed, then
// cancelled. The legend gives back each series' own count.
export function activityData(buckets: Bucket[]): uPlot.AlignedData {
  const x = buckets.map((b) => Date.parse(b.at) / 1000)
  const done = buckets.map((b) => b.completed)
  const upToFailed = buckets.map((b) => b.completed + b.failed)
  const all = buckets.map((b) => b.completed + b.failed + b.cancelled)
  const mean = buckets.map((b) => b.meanMs)
  const max = buckets.map((b) => b.maxMs)
  return [x, all, upToFailed, done, mean, max]
}

const own =
  (series: number, below?: number) =>
  (u: uPlot, _v: number | null, _s: number, i: number | null): string => {
    if (i === null) return '—'
    const top = (u.data[series]?.[i] as number | null) ?? 0
    const base = below === undefined ? 0 : ((u.data[below]?.[i] as number | null) ?? 0)
    return String(top - base)
  }

const ms = (_u: uPlot, v: number | null) => (v === null ? '—' : duration(v))

// runs are whole: the count axis never labels 0.25
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000]

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
// Durations are labelled in whole ms, then whole s, min and h (see duration()): steps
// finer than that would print one label twice ("1 ms, 1 ms") or round one to "0 ms".
const MS_STEPS = [
  ...[1, 2, 5, 10, 20, 50, 100, 200, 500],
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12, 24, 48].map((n) => n * HOUR),
]
/** The duration axis spans at least 0..10 ms, so near-zero durations still get distinct labels. */
const MS_MIN_SPAN = 10

const pad = (n: number) => String(n).padStart(2, '0')
/** Axis labels in UTC on a 24 h clock: the date at midnight, the time otherwise. */
const timeTicks = (_u: uPlot, ticks: number[]) =>
  ticks.map((t) => {
    const d = new Date(t * 1000)
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
    return time === '00:00' ? `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` : time
  })

/** Chart options for outcome bars per bucket plus mean (and max) duration lines. */
export function activityOptions(bucketMs: number, small: boolean): ChartOptions {
  const bars = uPlot.paths.bars?.({ size: [small ? 0.9 : 0.8, 40], align: 1 })
  const bar = (label: string, color: string, value: ReturnType<typeof own>): uPlot.Series => ({
    label,
    scale: 'n',
    fill: color,
    stroke: color,
    width: 0,
    paths: bars,
    points: { show: false },
    value,
  })
  const axis = {
    stroke: COLORS.axis,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { show: false },
  }
  return {
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { show: !small },
    cursor: small ? { show: false } : { drag: { x: false, y: false, setScale: false } },
    padding: small ? [2, 0, 0, 0] : [8, 8, 0, 0],
    scales: {
      x: { time: true, range: (_u, min, max) => [min, max + bucketMs / 1000] },
      n: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
      ms: { range: (_u, _min, max) => [0, Math.max(MS_MIN_SPAN, (max ?? 0) * 1.15)] },
    },
    axes: small
      ? [{ show: false }, { show: false, scale: 'n' }, { show: false, scale: 'ms' }]
      : [
          { ...axis, space: 60, values: timeTicks },
          { ...axis, scale: 'n', size: 40, incrs: COUNT_STEPS },
          {
            ...axis,
            scale: 'ms',
            side: 1,
            size: 70,
            incrs: MS_STEPS,
            grid: { show: false },
            values: (_u, ticks) => ticks.map((t) => duration(t)),
          },
        ],
    series: [
      { value: (_u, v) => (v === null ? '—' : utc(new Date(v * 1000).toISOString())) },
      bar('cancelled', COLORS.cancelled, own(1, 2)),
      bar('failed', COLORS.failed, own(2, 3)),
      bar('completed', COLORS.completed, own(3)),
      { label: 'mean', scale: 'ms', stroke: COLORS.mean, width: 1.5, value: ms, spanGaps: false },
      {
        label: 'max',
        scale: 'ms',
        stroke: COLORS.mean,
        width: 1,
        dash: [4, 3],
        value: ms,
        show: !small,
      },
    ],
  }
}

/** What a chart shows, in words: its tooltip and accessible label. */
export function activitySummary(buckets: Bucket[], span: string): string {
  const sum = (k: 'completed' | 'failed' | 'cancelled') => buckets.reduce((n, b) => n + b[k], 0)
  return `${span}: ${sum('completed')} completed, ${sum('failed')} failed, ${sum('cancelled')} cancelled`
}

/** One job's buckets; a job without runs in the range gets zeros, so its chart still spans it. */
export function bucketsOf(activity: Activity, job: string): Bucket[] {
  const found = activity.jobs.find((j) => j.job === job)
  if (found) return found.buckets
  const from = Date.parse(activity.from)
  const n = Math.max(1, Math.round((Date.parse(activity.to) - from) / activity.bucketMs))
  return Array.from({ length: n }, (_, i) => ({
    at: new Date(from + i * activity.bucketMs).toISOString(),
    completed: 0,
    failed: 0,
    cancelled: 0,
    meanMs: null,
    maxMs: null,
  }))
}
