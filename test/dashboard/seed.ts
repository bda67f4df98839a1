import { z } from 'zod'
import { Tickwork } from '../../src/client/tickwork.js'
import { createApp } from '../../src/http/app.js'
import { type Listening, serve } from '../../src/http/serve.js'
import { until } from '../helpers.js'
import { ADMIN, READ } from '../http/server.js'

/** Markup that runs script wherever run data reaches the DOM as HTML instead of text. */
export const XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">'

/** How many waiting runs `parked` has: more than a page of runs however the UI pages. */
export const PARKED = 123

export interface Seeded {
  tw: Tickwork
  /** http://127.0.0.1:<port>, serving createApp(tw) with ADMIN and READ tokens */
  base: string
  /** ids of runs that succeed from now on (the fix is deployed): a retry of one then sticks */
  healed: Set<string>
  ids: {
    /** a completed `digest` run whose payload carries XSS */
    xssRun: string
    /** a failed `explode` run whose payload, and so its error message, carries XSS */
    xssFailed: string
    /** failed `explode` runs with a plain error, oldest first */
    failed: string[]
    /** failed `digest` runs */
    digestFailed: string[]
  }
  /** Errors the instance emitted in the background since the last call. */
  takeErrors(): Error[]
  close(): Promise<void>
}

/**
 * A Tickwork on `schema` with the jobs a dashboard shows: scheduled (`digest`, with
 * completed and failed runs), windowed (`sync`), with a payload schema (`signup`), both
 * (`newsletter`, to backfill with a payload or none), always failing (`explode`), a
 * schedule to pause (`nightly`), one to edit (`report`), `parked`, defined by no
 * process, whose runs wait, and `elsewhere`, whose schedule another process stored and
 * this one does not define. Its worker and scheduler run.
 */
export async function seedDashboard(options: {
  database: string
  schema: string
}): Promise<Seeded> {
  const errors: Error[] = []
  const healed = new Set<string>()
  const tw = new Tickwork({
    database: options.database,
    schema: options.schema,
    logger: false,
    pollInterval: 100,
    poolSize: 4,
  })
  tw.on('error', (err) => errors.push(err))
  // durations above zero, so the charts' mean duration has something to draw
  const work = () => new Promise((r) => setTimeout(r, 15))

  tw.job('digest', {
    schedule: { cron: '*/5 * * * *', timezone: 'UTC' },
    retry: { attempts: 1 },
    run: async ({ payload, run }) => {
      await work()
      if ((payload as { fail?: boolean } | null)?.fail && !healed.has(run.id))
        throw new Error('digest failed: mailbox full')
      return { sent: 3 }
    },
  })
  tw.job('sync', {
    schedule: '*/10 * * * *',
    window: { lookback: '1m' },
    run: async ({ window }) => {
      await work()
      return { from: window?.from, to: window?.to }
    },
  })
  tw.job('signup', {
    payload: z.object({ email: z.string().email(), count: z.number().int() }),
    run: async ({ payload }) => {
      await work()
      return { welcomed: payload.email }
    },
  })
  tw.job('explode', {
    retry: { attempts: 1 },
    run: async ({ payload, run }) => {
      await work()
      if (healed.has(run.id)) return { recovered: true }
      throw new Error(`upstream refused: ${(payload as { note?: string } | null)?.note ?? 'no'}`)
    },
  })
  tw.job('nightly', {
    schedule: { cron: '30 2 * * *', timezone: 'Europe/Paris' },
    run: work,
  })
  tw.job('report', { schedule: { cron: '0 6 * * 1', timezone: 'UTC' }, run: work })
  // the schedule's own runs (and a backfill's without a payload) carry none: null
  tw.job('newsletter', {
    schedule: '0 * * * *',
    payload: z.object({ audience: z.enum(['all', 'beta']) }),
    run: async ({ payload }) => {
      await work()
      return { audience: (payload as { audience?: string } | null)?.audience ?? null }
    },
  })
  await tw.start()

  // another process declares `elsewhere` and leaves: its schedule stays stored
  const other = new Tickwork({
    database: options.database,
    schema: options.schema,
    logger: false,
    poolSize: 1,
  })
  other.job('elsewhere', { schedule: { cron: '0 3 * * *', timezone: 'UTC' }, run: work })
  await other.start({ worker: false, scheduler: false, maintenance: false })
  await other.stop({ grace: 0 })

  const enqueue = async (job: string, payload?: unknown) => (await tw.enqueue(job, payload)).id
  for (let n = 0; n < 4; n++) await enqueue('digest', { n })
  const digestFailed = [
    await enqueue('digest', { fail: true }),
    await enqueue('digest', { fail: true }),
  ]
  const xssRun = await enqueue('digest', { note: XSS })
  // oldest of the failed runs: the tests that retry take the newest and leave it be
  const xssFailed = await enqueue('explode', { note: XSS })
  const failed = []
  for (let n = 0; n < 5; n++) failed.push(await enqueue('explode', { n }))
  await enqueue('signup', { email: 'grace@example.com', count: 1 })
  await tw.trigger('sync')
  await tw.transaction(async (tx) => {
    for (let n = 0; n < PARKED; n++) await tw.enqueue('parked', { n }, { tx })
  })

  await until(async () => {
    const [d, e, s, y] = await Promise.all(
      ['digest', 'explode', 'signup', 'sync'].map((j) => tw.runs.counts(j)),
    )
    return (
      // a tick of digest's schedule may add a run meanwhile
      (d?.completed ?? 0) >= 5 &&
      d?.failed === 2 &&
      e?.failed === 6 &&
      s?.completed === 1 &&
      (y?.completed ?? 0) >= 1
    )
  }, 20_000)

  const app = createApp(tw, { tokens: { admin: [ADMIN], read: [READ] } })
  const listening: Listening = await serve(app, { port: 0, hostname: '127.0.0.1' })
  return {
    tw,
    base: `http://127.0.0.1:${listening.port}`,
    healed,
    ids: { xssRun, xssFailed, failed, digestFailed },
    takeErrors: () => errors.splice(0),
    async close() {
      await tw.stop({ grace: 0, until: listening.close(1_000) })
    },
  }
}
