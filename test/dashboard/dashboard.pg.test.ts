import type { Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { databaseUrl, freshSchema } from '../helpers.js'
import { ADMIN, READ } from '../http/server.js'
import { describeBrowser, type Tab } from './browser.js'
import { PARKED, type Seeded, seedDashboard, XSS } from './seed.js'

const MINUTE = 60_000
// the UI re-fetches every 2 s: a change shows within 6 s or not at all
const LIVE = { timeout: 6_000, interval: 200 }

const sessionToken = (page: Page) =>
  page.evaluate(() =>
    (
      globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
    ).sessionStorage.getItem('tickwork.token'),
  )

/** `[data-<name>]` of every element `loc` matches, in document order. */
const attrs = (loc: Locator, name: string) =>
  loc.evaluateAll(
    (els: Array<{ getAttribute(n: string): string | null }>, n: string) =>
      els.map((e) => e.getAttribute(n) ?? ''),
    name,
  )

const MATCH = 'as stored'
/** MATCH when what the page shows equals what is stored, else both, for the failure message. */
const same = (shown: unknown, stored: unknown) =>
  JSON.stringify(shown) === JSON.stringify(stored) ? MATCH : { shown, stored }

/** Ids newest first: by their number (ids are bigints, and '10' sorts before '9' as text). */
const newestFirst = (ids: string[]) =>
  [...ids].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0))

/** Every run matching `filter`, newest first by id, whatever order the listing gives. */
async function allRuns(tw: Seeded['tw'], filter: { job?: string; state?: 'failed' } = {}) {
  const { runs } = await tw.runs.list({ ...filter, limit: 1000 })
  const byId = new Map(runs.map((r) => [r.id, r]))
  return newestFirst([...byId.keys()]).map((id) => byId.get(id) as (typeof runs)[number])
}

/** HH:MM of `d` in UTC, 24-hour or 12-hour (7:05 or 07:05 for 19:05). */
const clockTime = (d: Date) => {
  const h = d.getUTCHours()
  const mm = String(d.getUTCMinutes()).padStart(2, '0')
  return new RegExp(`\\b(${String(h).padStart(2, '0')}|${h % 12 || 12}):${mm}\\b`)
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

describeBrowser('the dashboard in a browser', (browser) => {
  let s: Seeded

  beforeAll(async () => {
    s = await seedDashboard({ database: databaseUrl(), schema: freshSchema() })
  }, 30_000)
  afterEach(() => {
    const errors = s.takeErrors()
    if (errors.length > 0)
      throw new Error(`background errors: ${errors.map((e) => e.message).join('; ')}`)
  })
  afterAll(async () => {
    await s?.close()
  })

  const row = (page: Page, job: string) =>
    page.locator(`[data-testid="job-row"][data-job="${job}"]`)
  const runRow = (page: Page, id: string) =>
    page.locator(`[data-testid="run-row"][data-run="${id}"]`)

  /** A fresh tab, logged in through the form with `token`, on `hash`. */
  async function open(token = ADMIN, hash = '#/'): Promise<Tab> {
    const tab = await browser.open()
    const { page } = tab
    await page.goto(`${s.base}/#/login`)
    await page.getByTestId('login-token').fill(token)
    await page.getByTestId('login-submit').click()
    await expect
      .poll(() => page.getByTestId('session-scope').textContent())
      .toMatch(token === ADMIN ? /admin/ : /read/)
    if (hash !== '#/') await page.goto(`${s.base}/${hash}`)
    return tab
  }

  it('logs in with the form, refuses a wrong token on the login page, and takes a #token= link', async () => {
    const tab = await browser.open()
    const { page } = tab
    // Chromium logs the 401 the wrong token earns as a failed load: that one is expected
    tab.allow(/status of 401/)
    await page.goto(`${s.base}/`)
    await page.getByTestId('login-token').waitFor()

    const refused = await fetch(`${s.base}/api/session`, {
      headers: { authorization: 'Bearer not-the-token' },
    })
    expect(refused.status).toBe(401)
    const message = ((await refused.json()) as { error: { message: string } }).error.message
    await page.getByTestId('login-token').fill('not-the-token')
    await page.getByTestId('login-submit').click()
    await page.getByTestId('login-error').waitFor()
    expect(await page.getByTestId('login-error').textContent()).toContain(message)
    expect(new URL(page.url()).hash).toMatch(/^#\/login/)
    await page.getByTestId('login-token').waitFor()
    expect(await page.getByTestId('job-row').count()).toBe(0)

    await page.getByTestId('login-token').fill(ADMIN)
    await page.getByTestId('login-submit').click()
    await row(page, 'digest').waitFor()
    expect(await page.getByTestId('session-scope').textContent()).toMatch(/admin/)
    expect(new URL(page.url()).hash).not.toMatch(/login/)
    expect(await sessionToken(page)).toBe(ADMIN)

    await page.getByTestId('logout').click()
    await page.getByTestId('login-token').waitFor()
    expect(await sessionToken(page)).toBeNull()

    // a login link: the token is kept, and gone from the address (and so from history)
    const link = await browser.open()
    type History = { history: { length: number }; __historyAtStart?: number }
    await link.page.addInitScript(() => {
      const g = globalThis as unknown as History
      g.__historyAtStart ??= g.history.length
    })
    await link.page.goto(`${s.base}/#token=${encodeURIComponent(READ)}`)
    await row(link.page, 'digest').waitFor()
    expect(await link.page.getByTestId('session-scope').textContent()).toMatch(/read/)
    expect(link.page.url()).not.toContain(READ)
    expect(link.page.url()).not.toContain('token')
    expect(await sessionToken(link.page)).toBe(READ)
    // replaced, not pushed: no entry of the history holds the token
    const lengths = await link.page.evaluate(() => {
      const g = globalThis as unknown as History
      return { start: g.__historyAtStart, now: g.history.length }
    })
    expect(lengths.now).toBe(lengths.start)
  })

  it('overview: a row per job with its schedule in words, next time, last state, counts and chart', async () => {
    const { page } = await open()
    await row(page, 'digest').waitFor()
    const jobs = await s.tw.jobs.list()
    expect(jobs.map((j) => j.name)).toContain('parked')
    expect((await attrs(page.getByTestId('job-row'), 'data-job')).sort()).toEqual(
      jobs.map((j) => j.name).sort(),
    )

    const digest = row(page, 'digest')
    const schedule = await digest.getByTestId('job-schedule').textContent()
    expect(schedule).toContain('Every 5 minutes')
    expect(schedule).toContain('UTC')
    const nightly = await row(page, 'nightly').getByTestId('job-schedule').textContent()
    expect(nightly).toContain('02:30')
    expect(nightly).toContain('Europe/Paris')
    expect(await row(page, 'signup').getByTestId('job-schedule').textContent()).toContain('—')
    // the next fire time itself, in the page's zone (UTC here), whichever clock it uses
    const next = new Date(jobs.find((j) => j.name === 'digest')?.schedule?.next[0] ?? 0)
    expect(await digest.getByTestId('job-next').textContent()).toMatch(clockTime(next))

    for (const job of jobs) {
      if (!job.lastRun) continue
      await expect
        .poll(async () => {
          const [shown, now] = await Promise.all([
            row(page, job.name).getByTestId('job-last-state').getAttribute('data-state'),
            s.tw.jobs.get(job.name),
          ])
          return same({ job: job.name, state: shown }, { job: job.name, state: now.lastRun?.state })
        }, LIVE)
        .toBe(MATCH)
    }
    expect(
      await row(page, 'explode').getByTestId('job-last-state').getAttribute('data-state'),
    ).toBe('failed')

    const waiting = (await s.tw.runs.counts('parked')).waiting
    expect(waiting).toBeGreaterThanOrEqual(PARKED)
    expect(await row(page, 'parked').getByTestId('job-counts').textContent()).toContain(
      String(waiting),
    )
    const failed = (await s.tw.jobs.get('explode')).recent.failed
    expect(await row(page, 'explode').getByTestId('job-counts').textContent()).toContain(
      String(failed),
    )
    await digest.getByTestId('job-chart').locator('canvas').first().waitFor()
    expect(await digest.getByTestId('job-paused').count()).toBe(0)

    await digest.getByTestId('job-link').click()
    await expect.poll(() => new URL(page.url()).hash).toBe('#/jobs/digest')
    expect(await page.getByTestId('job-title').textContent()).toContain('digest')
  })

  it('job page: lists the newest runs, filters by state, and pages through more', async () => {
    const { page } = await open(ADMIN, '#/jobs/digest')
    await page.getByTestId('job-title').waitFor()
    await expect
      .poll(async () => {
        const newest = (await allRuns(s.tw, { job: 'digest' })).slice(0, 5)
        const rows = page.getByTestId('run-row')
        return same(
          {
            ids: (await attrs(rows, 'data-run')).slice(0, 5),
            states: (await attrs(rows, 'data-state')).slice(0, 5),
          },
          { ids: newest.map((r) => r.id), states: newest.map((r) => r.state) },
        )
      }, LIVE)
      .toBe(MATCH)
    const all = await page.getByTestId('run-row').count()

    await page.getByTestId('runs-filter').selectOption('failed')
    const failedIds = (await allRuns(s.tw, { job: 'digest', state: 'failed' })).map((r) => r.id)
    expect(failedIds.length).toBe(2)
    await expect
      .poll(async () => ({
        ids: await attrs(page.getByTestId('run-row'), 'data-run'),
        states: [...new Set(await attrs(page.getByTestId('run-row'), 'data-state'))],
      }))
      .toEqual({ ids: failedIds, states: ['failed'] })
    await page.getByTestId('runs-filter').selectOption('')
    await expect.poll(() => page.getByTestId('run-row').count()).toBeGreaterThanOrEqual(all)

    // parked has more waiting runs than any page holds
    await page.goto(`${s.base}/#/jobs/parked`)
    await page.getByTestId('runs-more').waitFor()
    const first = await page.getByTestId('run-row').count()
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThan(PARKED)
    await page.getByTestId('runs-more').click()
    await expect.poll(() => page.getByTestId('run-row').count()).toBeGreaterThan(first)
    // the second page continues the first: newest first, none twice, none skipped
    const ids = await attrs(page.getByTestId('run-row'), 'data-run')
    const stored = (await allRuns(s.tw, { job: 'parked' })).map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.every((id) => stored.includes(id))).toBe(true)
    expect.soft(ids, 'newest first, by id').toEqual(stored.slice(0, ids.length))
  })

  it('trigger: the payload is checked against the schema as typed; a valid one makes a run', async () => {
    const { page } = await open(ADMIN, '#/jobs/signup')
    await page.getByTestId('action-trigger').click()
    const editor = page.getByTestId('payload-editor')
    const errors = page.getByTestId('payload-errors')
    const submit = page.getByTestId('trigger-submit')

    await editor.fill('{ "email": "not-an-email", "count": 1.5 }')
    await expect.poll(() => errors.textContent(), LIVE).toMatch(/email.*count|count.*email/s)
    expect(await submit.isDisabled()).toBe(true)

    await editor.fill('{ "email": "ada@example.com", ')
    await expect.poll(async () => (await errors.textContent())?.trim(), LIVE).toMatch(/\S/)
    await expect.poll(async () => (await errors.textContent()) ?? '').not.toMatch(/count/)
    expect(await submit.isDisabled()).toBe(true)

    const email = `ada+${Date.now()}@example.com`
    await editor.fill(JSON.stringify({ email, count: 3 }))
    await expect.poll(() => submit.isEnabled(), LIVE).toBe(true)
    const left = (await errors.count()) > 0 ? ((await errors.textContent()) ?? '') : ''
    expect(left.trim()).toBe('')
    await submit.click()
    await page.getByTestId('trigger-result').waitFor()

    let id = ''
    await expect
      .poll(async () => {
        const runs = (await s.tw.runs.list({ job: 'signup', limit: 100 })).runs
        const run = runs.find((r) => (r.payload as { email?: string })?.email === email)
        id = run?.id ?? ''
        return run?.payload
      })
      .toEqual({ email, count: 3 })
    const href = await page.getByTestId('trigger-result').locator('a').first().getAttribute('href')
    expect(href).toMatch(new RegExp(`#/runs/${id}$`))
  })

  it('pause then resume: the stored schedule follows, and the overview marks the job paused', async () => {
    const { page } = await open(ADMIN, '#/jobs/nightly')
    expect((await s.tw.schedules.get('nightly')).paused).toBe(false)
    await page.getByTestId('action-pause').click()
    await expect.poll(async () => (await s.tw.schedules.get('nightly')).paused).toBe(true)
    await page.getByTestId('action-resume').waitFor()
    expect(await page.getByTestId('action-pause').count()).toBe(0)

    await page.goto(`${s.base}/#/`)
    await row(page, 'nightly').getByTestId('job-paused').waitFor()
    expect(await row(page, 'digest').getByTestId('job-paused').count()).toBe(0)

    await page.goto(`${s.base}/#/jobs/nightly`)
    await page.getByTestId('action-resume').click()
    await expect.poll(async () => (await s.tw.schedules.get('nightly')).paused).toBe(false)
    await page.getByTestId('action-pause').waitFor()
    await page.goto(`${s.base}/#/`)
    await row(page, 'digest').waitFor()
    await expect.poll(() => row(page, 'nightly').getByTestId('job-paused').count(), LIVE).toBe(0)
  })

  it('schedule editor: previews a typed cron, names a bad one, and saves', async () => {
    const tab = await open(ADMIN, '#/jobs/report')
    const { page } = tab
    // the preview asks the server, which answers a bad cron with a 400 Chromium logs
    tab.allow(/status of 400 .*\/schedule\/next\?/)
    const preview = page.getByTestId('schedule-preview').locator('li')
    await expect.poll(() => preview.count(), LIVE).toBe(5)
    const saved = await preview.allTextContents()

    await page.getByTestId('schedule-cron').fill('*/15 * * * *')
    await expect
      .poll(async () => {
        const items = await preview.allTextContents()
        return items.length === 5 && JSON.stringify(items) !== JSON.stringify(saved)
      }, LIVE)
      .toBe(true)
    // every 15 minutes: five fire times within the hour and a quarter from now
    expect(new Set(await preview.allTextContents()).size).toBe(5)

    await page.getByTestId('schedule-cron').fill('every tuesday-ish')
    await page.getByTestId('schedule-error').waitFor()
    expect((await page.getByTestId('schedule-error').textContent())?.trim()).toMatch(/\S/)

    await page.getByTestId('schedule-cron').fill('*/15 * * * *')
    await page.getByTestId('schedule-error').waitFor({ state: 'hidden' })
    expect((await s.tw.schedules.get('report')).cron).toBe('0 6 * * 1')
    await page.getByTestId('schedule-save').click()
    await expect.poll(async () => (await s.tw.schedules.get('report')).cron).toBe('*/15 * * * *')
    await expect
      .poll(() => page.getByTestId('job-schedule').first().textContent(), LIVE)
      .toContain('Every 15 minutes')
  })

  it('windowed job: shows the watermark and moves it', async () => {
    const stored = await s.tw.watermark.get('sync')
    expect(stored).not.toBeNull()
    const { page } = await open(ADMIN, '#/jobs/sync')
    await expect
      .poll(() => page.getByTestId('job-watermark').textContent())
      .toMatch(clockTime(stored as Date))
    const back = Math.floor(Date.now() / MINUTE) * MINUTE - 90 * MINUTE
    await page.getByTestId('watermark-input').fill(iso(back))
    await page.getByTestId('watermark-save').click()
    await expect.poll(async () => (await s.tw.watermark.get('sync'))?.getTime()).toBe(back)
    await expect
      .poll(() => page.getByTestId('job-watermark').textContent(), LIVE)
      .toMatch(clockTime(new Date(back)))
  })

  it('backfill: a past range runs every tick in it, and the progress reaches completed', async () => {
    const { page } = await open(ADMIN, '#/jobs/digest')
    const hour = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE
    const from = hour - 3 * 60 * MINUTE
    const to = from + 30 * MINUTE
    await page.getByTestId('backfill-from').fill(iso(from))
    await page.getByTestId('backfill-to').fill(iso(to))
    await page.getByTestId('backfill-submit').click()

    const progress = page.getByTestId('backfill-progress')
    await progress.waitFor()
    await expect
      .poll(() => progress.getAttribute('data-state'), { timeout: 15_000, interval: 200 })
      .toBe('completed')
    // enqueued/total, and completed: every one of the six ticks
    expect(await progress.textContent()).toMatch(/(^|\D)6\s*(\/|of)\s*6(\D|$)/)
    expect(await progress.textContent()).toMatch(/(^|\D)6\s*completed/i)

    const runs = (await s.tw.runs.list({ job: 'digest', limit: 1000 })).runs.filter(
      (r) => r.backfill !== null,
    )
    const ticks = runs.map((r) => r.tick?.getTime() ?? 0).sort((x, y) => x - y)
    expect(ticks).toEqual(Array.from({ length: 6 }, (_, i) => from + i * 5 * MINUTE))
    expect(new Set(runs.map((r) => r.state))).toEqual(new Set(['completed']))
    expect(new Set(runs.map((r) => r.source))).toEqual(new Set(['backfill']))
  })

  it('run page of a failed run: the error with its stack, and retry puts it back', async () => {
    const id = s.ids.failed[0] as string
    const run = await s.tw.runs.get(id)
    if (run?.state !== 'failed') throw new Error(`run ${id} should be failed: ${run?.state}`)
    const { page } = await open(ADMIN, `#/runs/${id}`)
    expect(await page.getByTestId('run-state').getAttribute('data-state')).toBe('failed')
    expect(await page.getByTestId('run-source').textContent()).toContain(run.source)
    const attempts = page.getByTestId('run-attempt')
    expect(await attempts.count()).toBe(run.errors.length)
    expect(await attempts.first().textContent()).toContain('upstream refused: no')
    expect(await attempts.first().getByTestId('run-stack').textContent()).toContain('seed.ts')
    expect(await page.getByTestId('action-cancel').count()).toBe(0)

    s.healed.add(id)
    await page.getByTestId('action-retry').click()
    await expect.poll(async () => (await s.tw.runs.get(id))?.state).toBe('completed')
    await expect
      .poll(() => page.getByTestId('run-state').getAttribute('data-state'), LIVE)
      .not.toBe('failed')
  })

  it('failed page: retries the two selected runs and no other', async () => {
    const tab = await open(ADMIN, '#/failed')
    const { page } = tab
    // a confirmation, should the UI ask for one, is the operator's yes
    page.on('dialog', (d) => void d.accept())
    const rows = page.getByTestId('failed-row')
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3)
    const stored = (await allRuns(s.tw, { state: 'failed' })).slice(0, 3).map((r) => r.id)
    const ids = (await attrs(rows, 'data-run')).slice(0, 3)
    // soft: a wrong order is reported, and the retry below still gets tried
    expect.soft(ids, 'newest first, by id').toEqual(stored)
    const [a, b, c] = ids as [string, string, string]

    s.healed.add(a)
    s.healed.add(b)
    await rows.nth(0).getByTestId('failed-select').check()
    await rows.nth(1).getByTestId('failed-select').check()
    await page.getByTestId('failed-retry-selected').click()
    await expect
      .poll(async () => Promise.all([a, b, c].map(async (id) => (await s.tw.runs.get(id))?.state)))
      .toEqual(['completed', 'completed', 'failed'])
    await expect
      .poll(async () => {
        const shown = await attrs(page.getByTestId('failed-row'), 'data-run')
        return shown.includes(a) || shown.includes(b)
      }, LIVE)
      .toBe(false)
  })

  it('live: runs enqueued elsewhere show without a reload', async () => {
    const { page } = await open()
    const counts = row(page, 'parked').getByTestId('job-counts')
    await counts.waitFor()
    await s.tw.enqueue('parked', { live: true })
    const waiting = (await s.tw.runs.counts('parked')).waiting
    await expect.poll(() => counts.textContent(), LIVE).toContain(String(waiting))
    // a job nobody defines yet, first seen in the database
    await s.tw.enqueue('latecomer', { live: true })
    await row(page, 'latecomer').waitFor({ timeout: LIVE.timeout })

    await page.goto(`${s.base}/#/jobs/parked`)
    await page.getByTestId('run-row').first().waitFor()
    const { id } = await s.tw.enqueue('parked', { live: 2 })
    await runRow(page, id).waitFor({ timeout: LIVE.timeout })
    expect(await page.getByTestId('run-row').first().getAttribute('data-run')).toBe(id)
  })

  it('read token: no control that changes anything, on any page', async () => {
    const failedId = (await s.tw.runs.list({ state: 'failed', limit: 1 })).runs[0]?.id as string
    expect(failedId).toBeDefined()
    // each page, what shows it loaded, and the controls an admin gets there
    const pages: Array<[string, string, string[]]> = [
      ['#/', '[data-testid="job-row"]', []],
      [
        '#/jobs/digest',
        '[data-testid="run-row"]',
        ['action-trigger', 'action-pause', 'schedule-save', 'backfill-submit'],
      ],
      ['#/jobs/sync', '[data-testid="run-row"]', ['watermark-save']],
      [`#/runs/${failedId}`, '[data-testid="run-state"]', ['action-retry']],
      ['#/failed', '[data-testid="failed-row"]', ['failed-retry-selected', 'failed-retry-all']],
    ]
    const controls = [
      ...new Set([...pages.flatMap(([, , c]) => c), 'action-resume', 'action-cancel']),
    ]
    // the same pages offer them to an admin: the read check below is not vacuous
    const admin = await open(ADMIN)
    for (const [hash, loaded, offered] of pages) {
      await admin.page.goto(`${s.base}/${hash}`)
      await admin.page.locator(loaded).first().waitFor()
      for (const id of offered) await admin.page.getByTestId(id).first().waitFor()
      for (const id of offered)
        expect(
          await admin.page.getByTestId(id).first().getAttribute('data-admin'),
          id,
        ).not.toBeNull()
    }

    const { page } = await open(READ)
    for (const [hash, loaded] of pages) {
      await page.goto(`${s.base}/${hash}`)
      await page.locator(loaded).first().waitFor()
      expect(await page.getByTestId('session-scope').textContent()).toMatch(/read/)
      expect(await page.locator('[data-admin]').count(), hash).toBe(0)
      // a control left out of the data-admin marking is still a control
      for (const id of controls) expect(await page.getByTestId(id).count(), `${hash} ${id}`).toBe(0)
    }
  })

  it('renders run data as text: markup in a payload or an error runs nothing', async () => {
    const xssVar = (page: Page) =>
      page.evaluate(() => (globalThis as unknown as { __xss?: unknown }).__xss)
    const { page } = await open(ADMIN, `#/runs/${s.ids.xssRun}`)
    await expect.poll(() => page.getByTestId('run-payload').textContent()).toContain('<script>')
    expect(await page.getByTestId('run-payload').textContent()).toContain('<img src=x onerror=')
    expect(await page.locator('img[src="x"]').count()).toBe(0)
    expect(await xssVar(page)).toBeUndefined()

    await page.goto(`${s.base}/#/runs/${s.ids.xssFailed}`)
    await expect
      .poll(() => page.getByTestId('run-attempt').first().textContent())
      .toContain(`upstream refused: ${XSS}`)
    expect(await page.getByTestId('run-payload').textContent()).toContain('<script>')

    for (const hash of ['#/jobs/digest', '#/jobs/explode', '#/failed']) {
      await page.goto(`${s.base}/${hash}`)
      await page.locator('[data-testid="run-row"], [data-testid="failed-row"]').first().waitFor()
      expect(await page.locator('img[src="x"]').count(), hash).toBe(0)
      expect(await page.locator('script:not([src])').count(), hash).toBe(0)
    }
    expect(await xssVar(page)).toBeUndefined()
  })

  it('serves / with a Content-Security-Policy, and the page loads nothing from elsewhere', async () => {
    const res = await fetch(`${s.base}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
    const html = await res.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style/)

    const tab = await browser.open()
    const requests: string[] = []
    tab.page.on('request', (r) => requests.push(r.url()))
    const { page } = tab
    await page.goto(`${s.base}/#/login`)
    await page.getByTestId('login-token').fill(ADMIN)
    await page.getByTestId('login-submit').click()
    await row(page, 'digest').getByTestId('job-chart').locator('canvas').first().waitFor()
    await page.goto(`${s.base}/#/jobs/digest`)
    await page.getByTestId('run-row').first().waitFor()
    await page.goto(`${s.base}/#/runs/${s.ids.failed[1]}`)
    await page.getByTestId('run-state').waitFor()

    const origin = new URL(s.base).origin
    const elsewhere = requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin)
    expect(elsewhere).toEqual([])
    const assets = requests.map((u) => new URL(u).pathname).filter((p) => p.includes('/assets/'))
    expect(assets.some((p) => p.endsWith('.js'))).toBe(true)
    expect(assets.some((p) => p.endsWith('.css'))).toBe(true)
    expect(requests.some((u) => new URL(u).pathname.startsWith('/api/'))).toBe(true)
  })
})
