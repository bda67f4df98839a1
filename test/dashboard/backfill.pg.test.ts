import { beforeAll, expect, it } from 'vitest'
import { ADMIN } from '../http/server.js'
import { describeBrowser } from './browser.js'
import { iso, LIVE, MINUTE, thisHour, useDashboard } from './harness.js'
import type { Seeded } from './seed.js'

describeBrowser('the dashboard in a browser: backfills', (browser) => {
  const d = useDashboard(browser)
  const open = d.open
  let s: Seeded
  beforeAll(() => {
    s = d.s
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

  it('backfill over ticks that already ran: completed, and every tick counted as done (100%)', async () => {
    const from = thisHour() - 6 * 60 * MINUTE
    const to = from + 30 * MINUTE
    // an earlier backfill ran the range: this one finds every tick done
    await (await s.tw.backfill('digest', { from: iso(from), to: iso(to) })).wait({ poll: '100ms' })
    const { page } = await open(ADMIN, '#/jobs/digest')
    await page.getByTestId('backfill-from').fill(iso(from))
    await page.getByTestId('backfill-to').fill(iso(to))
    await page.getByTestId('backfill-submit').click()
    const progress = page.getByTestId('backfill-progress')
    await expect
      .poll(() => progress.getAttribute('data-state'), { timeout: 15_000, interval: 200 })
      .toBe('completed')
    const [latest] = await s.tw.listBackfills({ job: 'digest', limit: 1 })
    expect(latest).toMatchObject({ total: 6, enqueued: 0, existing: 6, state: 'completed' })
    const bar = progress.getByRole('progressbar')
    expect(await bar.getAttribute('aria-valuenow')).toBe('6')
    expect(await bar.getAttribute('aria-valuemax')).toBe('6')
    expect(await progress.textContent()).toMatch(/6\/6\s*done/)
    expect(await progress.textContent()).toMatch(/6\s*already ran/)
    const listed = page.getByTestId('backfill-row').first()
    expect(await listed.textContent()).toContain('6/6')
  })

  it('backfill with a payload: checked against the schema as typed, and each run gets it', async () => {
    const { page } = await open(ADMIN, '#/jobs/newsletter')
    const editor = page.getByTestId('backfill-payload')
    const errors = page.getByTestId('backfill-payload-errors')
    const submit = page.getByTestId('backfill-submit')
    const from = thisHour() - 5 * 60 * MINUTE
    await page.getByTestId('backfill-from').fill(iso(from))
    await page.getByTestId('backfill-to').fill(iso(from + 2 * 60 * MINUTE))

    await editor.fill('{ "audience": "nobody" }')
    await expect.poll(() => errors.textContent(), LIVE).toMatch(/audience/)
    expect(await submit.isDisabled()).toBe(true)
    await editor.fill('{ "audience": ')
    await expect.poll(() => errors.textContent(), LIVE).toMatch(/JSON/)
    expect(await submit.isDisabled()).toBe(true)
    await editor.fill('{ "audience": "beta" }')
    await expect.poll(() => submit.isEnabled(), LIVE).toBe(true)
    expect(((await errors.textContent()) ?? '').trim()).toBe('')
    await submit.click()

    const progress = page.getByTestId('backfill-progress')
    await expect
      .poll(() => progress.getAttribute('data-state'), { timeout: 15_000, interval: 200 })
      .toBe('completed')
    const [latest] = await s.tw.listBackfills({ job: 'newsletter', limit: 1 })
    const runs = (await s.tw.runs.list({ job: 'newsletter', limit: 100 })).runs.filter(
      (r) => r.backfill === latest?.id,
    )
    expect(runs.map((r) => r.payload)).toEqual([{ audience: 'beta' }, { audience: 'beta' }])
  })

  it('backfill without a payload: sent without one, its runs get none; a bad range is named once', async () => {
    const tab = await open(ADMIN, '#/jobs/newsletter')
    const { page } = tab
    const bodies: unknown[] = []
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/backfill')) bodies.push(r.postDataJSON())
    })
    // a range into the future: the server's VALIDATION error, its issue listed once
    tab.allow(/status of 400/)
    await page.getByTestId('backfill-to').fill(iso(thisHour() + 2 * 60 * MINUTE))
    await page.getByTestId('backfill-submit').click()
    const box = page.locator('.error-box').filter({ hasText: 'invalid backfill range' })
    await box.waitFor()
    expect((await box.textContent())?.split('must not be in the future').length).toBe(2)
    expect(await box.locator('li').count()).toBe(1)

    const from = thisHour() - 9 * 60 * MINUTE
    await page.getByTestId('backfill-from').fill(iso(from))
    await page.getByTestId('backfill-to').fill(iso(from + 60 * MINUTE))
    expect(await page.getByTestId('backfill-payload').inputValue()).toBe('')
    await page.getByTestId('backfill-submit').click()
    const progress = page.getByTestId('backfill-progress')
    await expect
      .poll(() => progress.getAttribute('data-state'), { timeout: 15_000, interval: 200 })
      .toBe('completed')
    expect(bodies.at(-1)).toEqual({ from: iso(from), to: iso(from + 60 * MINUTE) })
    const [latest] = await s.tw.listBackfills({ job: 'newsletter', limit: 1 })
    const runs = (await s.tw.runs.list({ job: 'newsletter', limit: 100 })).runs.filter(
      (r) => r.backfill === latest?.id,
    )
    expect(runs.map((r) => r.payload)).toEqual([null])
  })
})
