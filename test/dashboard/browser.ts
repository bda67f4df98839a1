import { accessSync, constants } from 'node:fs'
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'

/** The Chromium the dashboard tests drive: Debian's package, or CHROMIUM_PATH. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK)
    return undefined
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err)
  }
}

const missing = executable(chromiumPath)
/** Whether the browser can be started here. */
export const browserAvailable = missing === undefined
// CI installs Chromium and then sets REQUIRE_BROWSER=1: there a missing browser is a
// failure, not a skip
const browserRequired = process.env.REQUIRE_BROWSER === '1'

// The network is closed here: without these Chromium spends seconds (and console noise)
// reaching for updates, QUIC probes and sync; the sandbox needs privileges a container lacks.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A page of its own context, and what went wrong in it so far. */
export interface Tab {
  page: Page
  context: BrowserContext
  /** uncaught exceptions and console errors, each a line */
  errors: string[]
  /**
   * Console errors matching `pattern` (their text, then the URL in parentheses) are
   * expected from here on: a 401 a test provokes is logged by Chromium as a failed
   * resource load. Exceptions never are.
   */
  allow(pattern: RegExp): void
}

export interface BrowserHandle {
  /** A fresh context and page (1280×800, UTC, en-US); closed after the test, its errors failing it. */
  open(options?: BrowserContextOptions): Promise<Tab>
}

/**
 * `describe` for a suite that needs the browser: one Chromium for the suite, a context
 * per `open()`, every context closed after its test and the browser after the suite.
 * A test fails on any page exception or console error (a CSP violation is one). Without
 * the browser the suite is skipped, loudly, unless REQUIRE_BROWSER=1 makes it fail.
 */
export function describeBrowser(name: string, body: (browser: BrowserHandle) => void): void {
  if (!browserAvailable) {
    // a skipped suite must be seen, not mistaken for a pass
    console.warn(
      `${name}: ${browserRequired ? 'FAILED (REQUIRE_BROWSER=1)' : 'SKIPPED'}: ` +
        `no Chromium at ${chromiumPath} (${missing}): ` +
        'install it (apt-get install chromium) or set CHROMIUM_PATH',
    )
    if (browserRequired)
      describe(name, () => {
        it('has a browser to run in (REQUIRE_BROWSER=1)', () => {
          throw new Error(
            `no Chromium at ${chromiumPath} (${missing}); REQUIRE_BROWSER=1 requires it: apt-get install chromium`,
          )
        })
      })
  }
  describe.skipIf(!browserAvailable)(name, () => {
    let browser: Browser | undefined
    const tabs: Tab[] = []

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: chromiumPath, args: ARGS })
    })
    afterEach(async () => {
      const done = tabs.splice(0)
      await Promise.allSettled(done.map((t) => t.context.close()))
      const errors = done.flatMap((t) => t.errors)
      if (errors.length > 0) throw new Error(`errors in the page:\n${errors.join('\n')}`)
    })
    afterAll(async () => {
      await browser?.close()
    })

    body({
      async open(options = {}) {
        if (!browser) throw new Error('the browser did not start')
        const context = await browser.newContext({
          viewport: { width: 1280, height: 800 },
          timezoneId: 'UTC',
          locale: 'en-US',
          ...options,
        })
        const page = await context.newPage()
        const allowed: RegExp[] = []
        const tab: Tab = {
          page,
          context,
          errors: [],
          allow: (pattern) => {
            allowed.push(pattern)
          },
        }
        tabs.push(tab)
        page.on('pageerror', (err) => {
          tab.errors.push(`exception: ${err.stack ?? err.message}`)
        })
        page.on('console', (msg) => {
          if (msg.type() !== 'error') return
          const text = msg.text()
          const where = msg.location().url
          // Chromium asks for /favicon.ico on its own; the page never does
          if (where.endsWith('/favicon.ico')) return
          const line = `${text}${where ? ` (${where})` : ''}`
          if (allowed.some((re) => re.test(line))) return
          tab.errors.push(`console: ${line}`)
        })
        // nothing blocks forever: a missing element fails in seconds, well inside the test's time
        page.setDefaultTimeout(8_000)
        return tab
      },
    })
  })
}
