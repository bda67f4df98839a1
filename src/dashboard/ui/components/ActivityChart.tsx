import { useMemo } from 'preact/hooks'
import type { Bucket } from '../types'
import { Chart } from './Chart'
import { activityData, activityOptions, activitySummary } from './charts'

/** Runs per bucket by outcome, with mean duration: the overview's sparkline or a full chart. */
export function ActivityChart({
  buckets,
  bucketMs,
  span,
  small = false,
  testid,
}: {
  buckets: Bucket[]
  bucketMs: number
  span: string
  small?: boolean
  testid?: string
}) {
  const options = useMemo(() => activityOptions(bucketMs, small), [bucketMs, small])
  const data = useMemo(() => activityData(buckets), [buckets])
  return (
    <Chart
      options={options}
      data={data}
      height={small ? 40 : 220}
      label={activitySummary(buckets, span)}
      testid={testid}
      class={small ? 'chart-small' : 'chart-full'}
    />
  )
}
