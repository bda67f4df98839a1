import { z } from 'zod'
import type { Tickwork } from '../client/tickwork.js'
import { PermanentError } from '../errors.js'

/**
 * The example jobs `tickwork start --examples` runs: one that succeeds, one that fails
 * now and then and retries, one that reports progress, the dead-letter job the flaky
 * one ends in, a scheduled heartbeat, and a windowed job that logs its items.
 */
export function defineExamples(tw: Tickwork) {
  const greet = tw.job('greet', {
    payload: z.object({ name: z.string().min(1) }),
    concurrency: 4,
    run: ({ payload, log }) => {
      log.info(`hello, ${payload.name}`)
      return { greeted: payload.name }
    },
  })
  const flaky = tw.job('flaky', {
    retry: { attempts: 3, backoff: 'exponential', delay: '1s' },
    deadLetter: 'flaky-dead',
    run: ({ attempt }) => {
      if (Math.random() < 0.5) throw new Error(`flaked on attempt ${attempt}`)
      return { attempt }
    },
  })
  tw.job('flaky-dead', {
    run: ({ payload, log }) => log.warn({ deadLetter: payload }, 'a flaky run failed for good'),
  })
  const count = tw.job('count', {
    payload: z.object({ to: z.number().int().min(1).max(1000) }),
    timeout: '30s',
    run: async ({ payload, progress, signal }) => {
      for (let i = 1; i <= payload.to; i++) {
        if (signal.aborted) throw new PermanentError('aborted')
        await new Promise((r) => setTimeout(r, 20))
        if (i % 10 === 0) await progress(Math.round((i / payload.to) * 100))
      }
      return { counted: payload.to }
    },
  })
  tw.job('heartbeat', {
    schedule: { cron: '*/15 * * * * *', overlap: 'skip' },
    run: ({ run, log }) => log.info({ tick: run.tick }, 'scheduled heartbeat'),
  })
  tw.job('events-since', {
    schedule: '*/20 * * * * *',
    window: { lookback: '5s', maxSpan: '1m' },
    run: async ({ window, items }) => {
      const { from, to } = window as { from: Date; to: Date }
      const seconds = Array.from({ length: Math.floor((+to - +from) / 1000) }, (_, i) => i)
      return items.each(seconds, { key: (s) => new Date(+from + s * 1000).toISOString() }, () => {
        if (Math.random() < 0.05) throw new Error('one event could not be processed')
      })
    },
  })
  let n = 0
  /** Enqueues one run of each example, as a user's code would. */
  return async function feed() {
    n++
    await greet.enqueue({ name: `visitor ${n}` })
    await flaky.enqueue(null)
    await count.enqueue({ to: 50 }, { priority: 1 })
  }
}
