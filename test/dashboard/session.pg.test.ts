import { beforeAll, expect, it } from 'vitest'
import { ADMIN, READ } from '../http/server.js'
import { describeBrowser } from './browser.js'
import { row, sessionToken, useDashboard } from './harness.js'
import type { Seeded } from './seed.js'

describeBrowser('the dashboard in a browser: logging in, tokens, CSP', (browser) => {
  const d = useDashboard(browser)
  const open = d.open
  let s: Seeded
  beforeAll(() => {
    s = d.s
  })

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

  it('a #token= link pasted into an open tab switches the session at once, also on the login page', async () => {
    const tab = await open(ADMIN, '#/jobs/digest')
    const { page } = tab
    await page.getByTestId('job-title').waitFor()
    // whether "Nothing lives at token=…" is ever rendered, however briefly
    await page.evaluate(() => {
      const g = globalThis as unknown as Record<string, unknown> & {
        MutationObserver: new (
          f: () => void,
        ) => { observe(n: unknown, o: Record<string, boolean>): void }
        document: { body: { textContent: string | null } }
      }
      new g.MutationObserver(() => {
        if (g.document.body.textContent?.includes('Nothing lives at')) g.__missing = true
      }).observe(g.document.body, { childList: true, subtree: true, characterData: true })
    })
    const paste = (hash: string) =>
      page.evaluate((h) => {
        ;(globalThis as unknown as { location: { hash: string } }).location.hash = h
      }, hash)

    await paste(`#token=${encodeURIComponent(READ)}`)
    await expect.poll(() => page.getByTestId('session-scope').textContent()).toMatch(/read/)
    await row(page, 'digest').waitFor()
    expect(new URL(page.url()).hash).toBe('#/')
    expect(await sessionToken(page)).toBe(READ)
    expect(await page.locator('[data-admin]').count()).toBe(0)

    // on the login page a pasted link logs in, as the form would
    await page.getByTestId('logout').click()
    await page.getByTestId('login-token').waitFor()
    await paste(`#token=${encodeURIComponent(ADMIN)}`)
    await row(page, 'digest').waitFor()
    expect(await page.getByTestId('session-scope').textContent()).toMatch(/admin/)
    expect(await sessionToken(page)).toBe(ADMIN)
    expect(page.url()).not.toContain('token')
    const missing = await page.evaluate(
      () => (globalThis as unknown as { __missing?: boolean }).__missing ?? false,
    )
    expect(missing, 'a token= hash rendered as a route').toBe(false)
  })

  it('a malformed #token= link shows the login page saying so, in a new tab or an open one', async () => {
    const BAD = '#token=abc%E0%A4%A'
    const fresh = await browser.open()
    await fresh.page.goto(`${s.base}/${BAD}`)
    await fresh.page.getByTestId('login-error').waitFor()
    expect(await fresh.page.getByTestId('login-error').textContent()).toMatch(/malformed/i)
    await fresh.page.getByTestId('login-token').waitFor()
    expect(new URL(fresh.page.url()).hash).toBe('#/login')
    expect(await sessionToken(fresh.page)).toBeNull()

    const { page } = await open(ADMIN, '#/jobs/digest')
    await page.getByTestId('job-title').waitFor()
    await page.evaluate((h) => {
      ;(globalThis as unknown as { location: { hash: string } }).location.hash = h
    }, BAD)
    await page.getByTestId('login-error').waitFor()
    expect(await page.getByTestId('login-error').textContent()).toMatch(/malformed/i)
    expect(new URL(page.url()).hash).toBe('#/login')
    expect(await sessionToken(page)).toBeNull()
    // and the form still works
    await page.getByTestId('login-token').fill(ADMIN)
    await page.getByTestId('login-submit').click()
    await row(page, 'digest').waitFor()
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
      [
        '#/failed',
        '[data-testid="failed-row"]',
        // selecting is only for retrying: a read token gets no checkboxes either
        ['failed-retry-selected', 'failed-retry-all', 'failed-select', 'failed-select-all'],
      ],
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
