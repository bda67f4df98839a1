import type { Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { databaseUrl, freshSchema } from '../helpers.js'
import { ADMIN } from '../http/server.js'
import type { BrowserHandle, Tab } from './browser.js'
import { type Seeded, seedDashboard } from './seed.js'

export const MINUTE = 60_000
// the UI re-fetches every 2 s: a change shows within 6 s or not at all
export const LIVE = { timeout: 6_000, interval: 200 }

export const sessionToken = (page: Page) =>
  page.evaluate(() =>
    (
      globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
    ).sessionStorage.getItem('tickwork.token'),
  )

/** `[data-<name>]` of every element `loc` matches, in document order. */
export const attrs = (loc: Locator, name: string) =>
  loc.evaluateAll(
    (els: Array<{ getAttribute(n: string): string | null }>, n: string) =>
      els.map((e) => e.getAttribute(n) ?? ''),
    name,
  )

export const MATCH = 'as stored'
/** MATCH when what the page shows equals what is stored, else both, for the failure message. */
export const same = (shown: unknown, stored: unknown) =>
  JSON.stringify(shown) === JSON.stringify(stored) ? MATCH : { shown, stored }

/** Ids newest first: by their number (ids are bigints, and '10' sorts before '9' as text). */
const newestFirst = (ids: string[]) =>
  [...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0))

/** Every run matching `filter`, newest first by id, whatever order the listing gives. */
export async function allRuns(tw: Seeded['tw'], filter: { job?: string; state?: 'failed' } = {}) {
  const { runs } = await tw.runs.list({ ...filter, limit: 1000 })
  const byId = new Map(runs.map((r) => [r.id, r]))
  return newestFirst([...byId.keys()]).map((id) => byId.get(id) as (typeof runs)[number])
}

/** HH:MM of `d` in UTC, 24-hour or 12-hour (7:05 or 07:05 for 19:05). */
export const clockTime = (d: Date) => {
  const h = d.getUTCHours()
  const mm = String(d.getUTCMinutes()).padStart(2, '0')
  return new RegExp(`\\b(${String(h).padStart(2, '0')}|${h % 12 || 12}):${mm}\\b`)
}

export const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

/** The start of the current UTC hour, in ms. */
export const thisHour = () => Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE

export const row = (page: Page, job: string) =>
  page.locator(`[data-testid="job-row"][data-job="${job}"]`)
export const runRow = (page: Page, id: string) =>
  page.locator(`[data-testid="run-row"][data-run="${id}"]`)

export interface Dashboard {
  /** the seeded instance and server (set before the first test) */
  readonly s: Seeded
  /** A fresh tab, logged in through the form with `token`, on `hash`. */
  open(token?: string, hash?: string): Promise<Tab>
}

/**
 * Seeds a dashboard of its own for the calling file (a fresh schema and server), fails
 * each test on the instance's background errors, and closes it after the file.
 */
export function useDashboard(browser: BrowserHandle): Dashboard {
  let seeded: Seeded | undefined

  beforeAll(async () => {
    seeded = await seedDashboard({ database: databaseUrl(), schema: freshSchema() })
  }, 30_000)
  afterEach(() => {
    const errors = seeded?.takeErrors() ?? []
    if (errors.length > 0)
      throw new Error(`background errors: ${errors.map((e) => e.message).join('; ')}`)
  })
  afterAll(async () => {
    await seeded?.close()
  })

  const d: Dashboard = {
    get s() {
      if (!seeded) throw new Error('the dashboard was not seeded')
      return seeded
    },
    async open(token = ADMIN, hash = '#/') {
      const tab = await browser.open()
      const { page } = tab
      await page.goto(`${d.s.base}/#/login`)
      await page.getByTestId('login-token').fill(token)
      await page.getByTestId('login-submit').click()
      await expect
        .poll(() => page.getByTestId('session-scope').textContent())
        .toMatch(token === ADMIN ? /admin/ : /read/)
      if (hash !== '#/') await page.goto(`${d.s.base}/${hash}`)
      return tab
    },
  }
  return d
}
