import { useState } from 'preact/hooks'
import { api } from '../../api'
import { ActivityChart } from '../../components/ActivityChart'
import { bucketsOf } from '../../components/charts'
import { ErrorBox } from '../../components/ErrorBox'
import { usePoll } from '../../poll'
import type { Activity } from '../../types'

// Bucket sizes that keep bars readable: 30 min over a day, hours over a week, 4 h over 30
// days. A bucket changes slowly next to its width, and the longer ranges cost the server
// more to add up: they are re-fetched every 10 s over a day, every minute beyond.
const RANGES = {
  '24h': { hours: 24, buckets: 48, span: 'last 24 h', every: 10_000 },
  '7d': { hours: 168, buckets: 168, span: 'last 7 days', every: 60_000 },
  '30d': { hours: 720, buckets: 180, span: 'last 30 days', every: 60_000 },
} as const
type Range = keyof typeof RANGES

/** Outcomes per bucket and mean/max duration of one job, over a chosen range. */
export function History({ job }: { job: string }) {
  const [range, setRange] = useState<Range>('24h')
  const r = RANGES[range]
  const activity = usePoll(
    () => api<Activity>('api/activity', { query: { job, hours: r.hours, buckets: r.buckets } }),
    [job, range],
    { every: r.every },
  )
  const a = activity.data
  return (
    <section class="panel">
      <div class="panel-head">
        <h2>Durations and outcomes</h2>
        <fieldset class="seg">
          <legend class="hidden">Range</legend>
          {(Object.keys(RANGES) as Range[]).map((k) => (
            <button
              key={k}
              type="button"
              class={k === range ? 'btn btn-small on' : 'btn btn-small'}
              aria-pressed={k === range}
              data-testid={`range-${k}`}
              onClick={() => setRange(k)}
            >
              {k}
            </button>
          ))}
        </fieldset>
      </div>
      <ErrorBox error={activity.error} />
      <div data-testid="job-history-chart" data-range={range} class="history">
        {a ? (
          <ActivityChart buckets={bucketsOf(a, job)} bucketMs={a.bucketMs} span={r.span} />
        ) : (
          <div class="chart-full placeholder" />
        )}
      </div>
    </section>
  )
}
