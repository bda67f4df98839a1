// Screenshots of the dashboard for the docs: seeds a day of demo history on the schema
// tickwork_screens (dropped and made anew), serves it, and saves 1280×800 PNGs to docs/.
// Run after `npm run build`: node scripts/screenshots.mjs
// DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); CHROMIUM_PATH (default
// /usr/bin/chromium). The images are not committed by this script.
import { mkdirSync } from 'node:fs'
import pg from 'pg'
import { chromium } from 'playwright-core'
import { z } from 'zod'
import { createApp, serve, Tickwork } from '../dist/index.js'

const database = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const schema = 'tickwork_screens'
const token = 'screens-admin-token'
const HOUR = 3_600_000
const out = new URL('../docs/', import.meta.url)

const client = new pg.Client({ connectionString: database })
await client.connect()
await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
await client.end()

// The clock walks the last 24 hours forward so the charts show a day, not one minute:
// every time the store records comes from it.
let offset = 24 * HOUR
const clock = { now: () => Date.now() - offset }
const tw = new Tickwork({ database, schema, clock, logger: false, pollInterval: 50 })
const errors = []
tw.on('error', (err) => errors.push(err))

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
// a deterministic spread of durations and failures, so the pictures are the same each time
let seed = 7
const random = () => {
  seed = (seed * 16807) % 2147483647
  return seed / 2147483647
}

tw.job('digest-email', {
  schedule: { cron: '*/30 * * * *', timezone: 'UTC', catchUp: 'all' },
  run: async () => {
    await sleep(5 + random() * 30)
    return { sent: Math.floor(random() * 400) }
  },
})
tw.job('sync-orders', {
  schedule: { cron: '0 * * * *', timezone: 'UTC', catchUp: 'all' },
  window: { lookback: '1m' },
  run: async ({ window }) => {
    await sleep(10 + random() * 40)
    return { from: window?.from, to: window?.to, orders: Math.floor(random() * 90) }
  },
})
tw.job('daily-report', {
  schedule: { cron: '0 6 * * *', timezone: 'Europe/Paris' },
  run: async () => {
    await sleep(40)
    return { rows: 1204 }
  },
})
tw.job('send-welcome', {
  payload: z.object({ email: z.string().email(), plan: z.enum(['free', 'pro']) }),
  run: async ({ payload }) => {
    await sleep(5 + random() * 10)
    return { welcomed: payload.email }
  },
})
tw.job('charge-card', {
  retry: { attempts: 1 },
  run: async ({ payload }) => {
    await sleep(10 + random() * 60)
    if (payload.fail) {
      const err = new Error(
        `card_declined: the bank refused ${payload.customer} (insufficient funds)`,
      )
      err.name = 'PaymentError'
      throw err
    }
    return { charged: payload.amount }
  },
})
await tw.start()

const live = async () => {
  const c = await Promise.all(
    ['digest-email', 'sync-orders', 'daily-report', 'send-welcome', 'charge-card'].map((j) =>
      tw.runs.counts(j),
    ),
  )
  return c.reduce((n, x) => n + x.waiting + x.active + x.delayed, 0)
}

for (let h = 24; h >= 0; h--) {
  offset = h * HOUR
  const busy = 3 + Math.floor(random() * 8)
  for (let i = 0; i < busy; i++) {
    await tw.enqueue('send-welcome', { email: `user${h}-${i}@example.com`, plan: 'free' })
    await tw.enqueue('charge-card', {
      customer: `cus_${(h * 31 + i).toString(36)}`,
      amount: 1900,
      fail: random() < 0.12,
    })
  }
  // the scheduler catches up the ticks of the hour just passed; wait for all of it to end
  await sleep(300)
  for (let t = 0; (await live()) > 0 && t < 200; t++) await sleep(50)
}
offset = 0
// a backlog: work that waits now
for (let i = 0; i < 14; i++)
  await tw.enqueue('charge-card', { customer: `cus_q${i}`, amount: 900 }, { delay: '10m' })

const app = createApp(tw, { tokens: { admin: [token] } })
const listening = await serve(app, { port: 0, hostname: '127.0.0.1' })
const base = `http://127.0.0.1:${listening.port}`

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
    locale: 'en-US',
  })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  await page.goto(`${base}/#/login`)
  await page.getByTestId('login-token').fill(token)
  await page.getByTestId('login-submit').click()
  await page.getByTestId('session-scope').waitFor()
  mkdirSync(out, { recursive: true })

  const shot = async (hash, ready, file, scrollTo) => {
    await page.goto(`${base}/${hash}`)
    await page.locator(ready).first().waitFor()
    if (scrollTo) await page.locator(scrollTo).first().scrollIntoViewIfNeeded()
    // charts draw on the next frames, after their data came
    await page.waitForLoadState('networkidle').catch(() => {})
    await sleep(500)
    await page.screenshot({ path: new URL(file, out).pathname })
    console.log(`saved docs/${file}`)
  }
  const failed = (await tw.runs.list({ job: 'charge-card', state: 'failed', limit: 1 })).runs[0]
  if (!failed) throw new Error('the demo has no failed run to show')

  await shot('#/', '[data-testid="job-chart"] canvas', 'dashboard-overview.png')
  await shot('#/jobs/charge-card', '[data-testid="run-row"]', 'dashboard-job.png')
  await shot(
    `#/runs/${failed.id}`,
    '[data-testid="run-state"]',
    'dashboard-run.png',
    // the error is the point of this picture: have it on screen, below the run's summary
    '[data-testid="run-stack"]',
  )
  await shot('#/failed', '[data-testid="failed-row"]', 'dashboard-failed.png')
} finally {
  await browser.close()
  await tw.stop({ grace: 0, until: listening.close(1_000) })
}
if (errors.length > 0) {
  console.error(`background errors: ${errors.map((e) => e.message).join('; ')}`)
  process.exitCode = 1
}
