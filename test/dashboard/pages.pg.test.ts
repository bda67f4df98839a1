import type { Page } from 'playwright-core'
import { beforeAll, expect, it } from 'vitest'
import { ADMIN } from '../http/server.js'
import { describeBrowser } from './browser.js'
import { allRuns, attrs, clockTime, LIVE, MATCH, row, same, useDashboard } from './harness.js'
import { PARKED, type Seeded, XSS } from './seed.js'

describeBrowser('the dashboard in a browser: what the pages show', (browser) => {
  const d = useDashboard(browser)
  const open = d.open
  let s: Seeded
  beforeAll(() => {
    s = d.s
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

  it('polls only what can change: not a finished or missing run, a failed one and a long chart range rarely', async () => {
    const failed = s.ids.digestFailed[0] as string
    expect((await s.tw.runs.get(failed))?.state).toBe('failed')
    expect((await s.tw.runs.get(s.ids.xssRun))?.state).toBe('completed')
    /** A tab on `hash`, logged in by a link, and the API paths (with query) it asks for. */
    const watch = async (hash: string) => {
      const tab = await browser.open()
      tab.allow(/status of 404/)
      const asked: { path: string; at: number }[] = []
      tab.page.on('request', (r) => {
        const u = new URL(r.url())
        if (u.pathname.startsWith('/api/'))
          asked.push({ path: `${u.pathname}${u.search}`, at: Date.now() })
      })
      await tab.page.goto(`${s.base}/#token=${encodeURIComponent(ADMIN)}`)
      await row(tab.page, 'digest').waitFor()
      await tab.page.goto(`${s.base}/${hash}`)
      const times = (re: RegExp) => asked.filter((a) => re.test(a.path)).map((a) => a.at)
      return { page: tab.page, times, count: (re: RegExp) => times(re).length }
    }
    const done = await watch(`#/runs/${s.ids.xssRun}`)
    const bad = await watch(`#/runs/${failed}`)
    const gone = await watch('#/runs/999999999')
    const chart = await watch('#/jobs/digest')
    await done.page.getByTestId('run-items').locator('b').first().waitFor()
    await bad.page.getByTestId('run-state').waitFor()
    await gone.page.getByText('does not exist').first().waitFor()
    await chart.page.getByTestId('range-7d').click()
    await expect.poll(() => chart.count(/^\/api\/activity\?.*hours=168/)).toBe(1)

    const run = (id: string) => new RegExp(`^/api/runs/${id}$`)
    const items = (id: string) => new RegExp(`^/api/runs/${id}/items`)
    const runs = /^\/api\/runs\?.*job=digest/
    const before = {
      done: done.count(run(s.ids.xssRun)),
      items: done.count(items(s.ids.xssRun)),
      gone: gone.count(run('999999999')),
      chart: chart.count(/^\/api\/activity\?.*hours=168/),
      runs: chart.count(runs),
    }
    expect(before).toEqual({ ...before, done: 1, items: 1, gone: 1, chart: 1 })
    // 4.5 s: the lists poll every 2 s meanwhile (the check is not vacuous), the rest not at all
    await new Promise((r) => setTimeout(r, 4_500))
    expect({
      done: done.count(run(s.ids.xssRun)),
      items: done.count(items(s.ids.xssRun)),
      gone: gone.count(run('999999999')),
      chart: chart.count(/^\/api\/activity\?.*hours=168/),
    }).toEqual({ done: 1, items: 1, gone: 1, chart: 1 })
    expect(chart.count(runs)).toBeGreaterThanOrEqual(before.runs + 2)
    // A failed run is polled every 10 s; the tab may be open long enough on a slow machine to
    // see a second read, so the spacing is checked rather than the count.
    const reads = bad.times(run(failed))
    expect(reads.length).toBeGreaterThanOrEqual(1)
    for (let i = 1; i < reads.length; i++)
      expect((reads[i] as number) - (reads[i - 1] as number)).toBeGreaterThan(9_000)
  })
})
