import { expect, it } from 'vitest'
import { makeTickwork, manualClock, until } from './helpers.js'

// The embedded store runs the same SQL: ticks, windows and backfills work there too.
it('schedules, windows and backfills on the embedded store', async () => {
  const clock = manualClock(Date.parse('2026-01-01T01:59:30Z'))
  const tw = makeTickwork({ database: 'memory://', clock })
  const windows: string[] = []
  tw.job('hourly', {
    schedule: '0 * * * *',
    window: { lookback: '5m', start: '2026-01-01T00:00:00Z' },
    run: async ({ window, items }) => {
      const w = window as { from: Date; to: Date }
      windows.push(`${w.from.toISOString().slice(11, 16)}-${w.to.toISOString().slice(11, 16)}`)
      await items.each(['a', 'b'], {}, () => {})
    },
  })
  await tw.start()
  clock.set(Date.parse('2026-01-01T02:00:00.005Z'))
  await until(
    async () =>
      (await tw.watermark.get('hourly'))?.getTime() === Date.parse('2026-01-01T01:55:00Z'),
  )
  expect(windows).toEqual(['00:00-01:55'])
  const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T02:00:00Z' }
  expect(await (await tw.backfill('hourly', range)).wait({ poll: 20 })).toMatchObject({
    state: 'completed',
    total: 2,
    enqueued: 2,
  })
  expect(await (await tw.backfill('hourly', range)).wait({ poll: 20 })).toMatchObject({
    enqueued: 0,
    existing: 2,
  })
  expect(windows.slice(1)).toEqual(['22:55-23:55', '23:55-00:55'])
  expect((await tw.watermark.get('hourly'))?.toISOString()).toBe('2026-01-01T01:55:00.000Z')
})
