import { beforeAll, expect, it } from 'vitest'
import { ADMIN } from '../http/server.js'
import { describeBrowser } from './browser.js'
import {
  allRuns,
  attrs,
  clockTime,
  iso,
  LIVE,
  MINUTE,
  row,
  runRow,
  useDashboard,
} from './harness.js'
import type { Seeded } from './seed.js'

describeBrowser('the dashboard in a browser: actions', (browser) => {
  const d = useDashboard(browser)
  const open = d.open
  let s: Seeded
  beforeAll(() => {
    s = d.s
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

  it('schedule editor: a blank time zone is an error, not the stored zone; an edit clears a failed save', async () => {
    const tab = await open(ADMIN, '#/jobs/nightly')
    const { page } = tab
    const preview = page.getByTestId('schedule-preview').locator('li')
    const error = page.getByTestId('schedule-error')
    const save = page.getByTestId('schedule-save')
    await expect.poll(() => preview.count(), LIVE).toBe(5)

    await page.getByTestId('schedule-timezone').fill('  ')
    await error.waitFor()
    expect(await error.textContent()).toMatch(/time zone/i)
    expect(await save.isDisabled()).toBe(true)
    // no preview of the stored Europe/Paris passed off as the blank one's
    await expect.poll(() => preview.count()).toBe(0)

    await page.getByTestId('schedule-timezone').fill('Europe/Paris')
    await error.waitFor({ state: 'hidden' })
    await expect.poll(() => preview.count(), LIVE).toBe(5)
    // a save the server refuses (a conflict, say) shows its message until the next edit
    tab.allow(/status of 409/)
    await page.route('**/api/jobs/nightly/schedule', (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'CONFLICT', message: 'schedule changed meanwhile', details: null },
        }),
      }),
    )
    await page.getByTestId('schedule-cron').fill('45 2 * * *')
    await expect.poll(() => save.isEnabled(), LIVE).toBe(true)
    await save.click()
    await expect.poll(() => error.textContent()).toContain('schedule changed meanwhile')
    await page.getByTestId('schedule-cron').fill('40 2 * * *')
    await expect.poll(async () => (await error.textContent()) ?? '').not.toContain('meanwhile')
    expect((await s.tw.schedules.get('nightly')).cron).toBe('30 2 * * *')
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

  it('a job defined in another process: no trigger, schedule editor or backfill form, but pause and resume', async () => {
    const jobs = await s.tw.jobs.list()
    expect(jobs.find((j) => j.name === 'elsewhere')?.definition ?? null).toBeNull()
    const { page } = await open(ADMIN, '#/jobs/elsewhere')
    await page.getByTestId('job-elsewhere').waitFor()
    expect(await page.getByTestId('job-elsewhere').textContent()).toMatch(/another process/)
    for (const id of ['action-trigger', 'schedule-cron', 'schedule-save', 'backfill-submit'])
      expect(await page.getByTestId(id).count(), id).toBe(0)
    // the stored schedule shows, and can still be paused and resumed from here
    expect(await page.getByTestId('job-schedule').first().textContent()).toContain('03:00')
    await page.getByTestId('action-pause').click()
    await expect.poll(async () => (await s.tw.schedules.get('elsewhere')).paused).toBe(true)
    await page.getByTestId('action-resume').click()
    await expect.poll(async () => (await s.tw.schedules.get('elsewhere')).paused).toBe(false)
    await page.getByTestId('action-pause').waitFor()
    // a job defined here offers what this one does not: the check above is not vacuous
    await page.goto(`${s.base}/#/jobs/report`)
    await page.getByTestId('schedule-save').waitFor()
    await page.getByTestId('action-trigger').waitFor()
    expect(await page.getByTestId('job-elsewhere').count()).toBe(0)
  })
})
