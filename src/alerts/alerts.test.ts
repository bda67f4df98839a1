import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { expect, it, onTestFinished } from 'vitest'
import { makeTickwork, manualClock, until } from '../../test/helpers.js'
import type { RunContext, Tickwork } from '../index.js'
import { createAlerts } from './alerts.js'
import {
  type JobAlertsOptions,
  resolveAlerts,
  resolveJobAlerts,
  type WebhookOptions,
} from './options.js'

const FAST = { attempts: 4, delayMs: 5 }
const SECRET = 's3cret-token-value'

interface Received {
  path: string
  headers: IncomingHttpHeaders
  // biome-ignore lint/suspicious/noExplicitAny: whatever the webhook was sent
  body: any
  status: number
}

/** A webhook receiver on a free port, answering with `statuses` in turn, then 200. */
async function receiver(statuses: number[] = []) {
  const got: Received[] = []
  const server = createServer((req, res) => {
    let data = ''
    req.on('data', (chunk) => {
      data += chunk
    })
    req.on('end', () => {
      const status = statuses.shift() ?? 200
      got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data), status })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, got, delivered: () => got.filter((g) => g.status === 200).map((g) => g.body) }
}

/** A pino logger writing JSON lines to an array. */
function logLines() {
  const lines: string[] = []
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) }
}

/** Alerts for `tw`, closed after the test. */
function alertsFor(
  tw: Tickwork,
  webhooks: WebhookOptions[],
  options: { slowRun?: string; jobs?: Record<string, JobAlertsOptions>; logger?: pino.Logger } = {},
) {
  const perJob = new Map(
    Object.entries(options.jobs ?? {}).map(([job, o]) => [job, resolveJobAlerts(job, o)]),
  )
  const alerts = createAlerts(tw, resolveAlerts({ webhooks, slowRun: options.slowRun }), perJob, {
    retry: FAST,
    logger: options.logger ?? logLines().logger,
  })
  onTestFinished(() => alerts.close())
  return alerts
}

const failing = () => {
  throw new Error('kaput')
}

it('a run failed for good is posted, retried past two 500s, with the headers given', async () => {
  const hook = await receiver([500, 500])
  const tw = makeTickwork()
  const alerts = alertsFor(tw, [{ url: `${hook.url}/hook`, headers: { authorization: SECRET } }])
  tw.job('boom', { retry: { attempts: 1 }, run: failing })
  const failed = new Promise((resolve) => tw.once('run:failed', resolve))
  await tw.start()
  const { id } = await tw.enqueue('boom')
  await failed
  // close waits for the delivery in flight, through its retries
  await alerts.close()
  expect(hook.got.map((g) => g.status)).toEqual([500, 500, 200])
  expect(hook.got[2]?.headers).toMatchObject({
    authorization: SECRET,
    'content-type': 'application/json',
  })
  expect(hook.got[2]?.path).toBe('/hook')
  expect(hook.delivered()).toEqual([
    {
      kind: 'failed',
      job: 'boom',
      runId: id,
      attempt: 1,
      error: { name: 'Error', message: 'kaput' },
      durationMs: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      text: `Run ${id} of job 'boom' failed for good on attempt 1: Error: kaput`,
    },
  ])
})

it('a timeout alerts on each attempt, retried or final, and not as a failure', async () => {
  const hook = await receiver()
  const tw = makeTickwork()
  alertsFor(tw, [{ url: hook.url }])
  tw.job('stuck', {
    timeout: 50,
    retry: { attempts: 2, delay: 10 },
    run: ({ signal }: RunContext) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  })
  await tw.start()
  const { id } = await tw.enqueue('stuck')
  await until(() => hook.delivered().length === 2)
  expect(hook.delivered()).toMatchObject([
    { kind: 'timeout', runId: id, attempt: 1, error: { name: 'TimeoutError' } },
    { kind: 'timeout', runId: id, attempt: 2, error: { name: 'TimeoutError' } },
  ])
  expect(hook.delivered()[0].text).toMatch(/timed out on attempt 1.*tried again/)
  expect(hook.delivered()[1].text).toMatch(/timed out on attempt 2 and failed for good/)
})

it('a run slower than slowRun alerts; a quick one does not', async () => {
  const hook = await receiver()
  const tw = makeTickwork()
  const alerts = alertsFor(tw, [{ url: hook.url }], {
    slowRun: '1h',
    jobs: { slow: { slowRun: 30 } },
  })
  tw.job('slow', { run: () => new Promise((resolve) => setTimeout(resolve, 60)) })
  tw.job('quick', { run: () => {} })
  let completed = 0
  tw.on('run:completed', () => completed++)
  await tw.start()
  const { id } = await tw.enqueue('slow')
  await tw.enqueue('quick')
  await until(() => completed === 2)
  await alerts.close()
  expect(hook.delivered()).toMatchObject([{ kind: 'slow', job: 'slow', runId: id }])
  expect(hook.delivered()[0].durationMs).toBeGreaterThanOrEqual(30)
  expect(hook.delivered()[0].text).toMatch(/over its slow-run threshold of 30 ms/)
})

it('missed ticks alert with the ticks', async () => {
  const hook = await receiver()
  const clock = manualClock(Date.parse('2026-01-01T00:30:00Z'))
  const tw = makeTickwork({ clock })
  alertsFor(tw, [{ url: hook.url }])
  tw.job('hourly', { schedule: '0 * * * *', run: () => {} })
  await tw.start()
  // five hours on: 01:00 to 04:00 were missed; the latest, 05:00, runs
  clock.set(Date.parse('2026-01-01T05:00:10Z'))
  await until(() => hook.delivered().length === 1)
  expect(hook.delivered()[0]).toEqual({
    kind: 'missed',
    job: 'hourly',
    ticks: ['01', '02', '03', '04'].map((h) => `2026-01-01T${h}:00:00.000Z`),
    at: '2026-01-01T05:00:10.000Z',
    text: "Job 'hourly' missed 4 scheduled ticks, the first at 2026-01-01T01:00:00.000Z",
  })
})

it('routes by webhook kinds and jobs, per-job webhooks and kinds, on: false; slack gets { text }', async () => {
  const everything = await receiver()
  const slack = await receiver()
  const own = await receiver()
  const tw = makeTickwork()
  const alerts = alertsFor(
    tw,
    [
      { url: everything.url },
      { url: slack.url, format: 'slack', on: ['failed'], jobs: ['loud', 'quiet'] },
    ],
    {
      jobs: {
        quiet: { on: false, webhooks: [{ url: own.url }] },
        mine: { webhooks: [{ url: own.url }] },
        // alerts on timeouts only: its failure goes nowhere
        picky: { on: ['timeout'] },
      },
    },
  )
  for (const job of ['loud', 'quiet', 'mine', 'picky'])
    tw.job(job, { retry: { attempts: 1 }, run: failing })
  let failed = 0
  tw.on('run:failed', () => failed++)
  await tw.start()
  for (const job of ['loud', 'quiet', 'mine', 'picky']) await tw.enqueue(job)
  await until(() => failed === 4)
  await alerts.close()
  const jobs = (r: { delivered(): Array<{ job: string }> }) =>
    r
      .delivered()
      .map((b) => b.job)
      .sort()
  expect(jobs(everything)).toEqual(['loud', 'mine'])
  expect(jobs(own)).toEqual(['mine'])
  const loud = everything.delivered().find((b) => b.job === 'loud')
  expect(slack.delivered()).toEqual([{ text: loud.text }])
})

it('gives up after the retries, or at once on a 4xx, logging no header value or URL path', async () => {
  const busy = await receiver([429, 503, 500])
  const refusing = await receiver([404])
  const log = logLines()
  const tw = makeTickwork()
  const webhooks = [busy, refusing].map((r) => ({
    url: `${r.url}/T000/B000/${SECRET}`,
    headers: { 'x-token': SECRET },
  }))
  const alerts = createAlerts(tw, resolveAlerts({ webhooks }), new Map(), {
    retry: { attempts: 3, delayMs: 5 },
    logger: log.logger,
  })
  tw.job('boom', { retry: { attempts: 1 }, run: failing })
  const failed = new Promise((resolve) => tw.once('run:failed', resolve))
  await tw.start()
  await tw.enqueue('boom')
  await failed
  await alerts.close()
  expect(busy.got.map((g) => g.status)).toEqual([429, 503, 500])
  expect(refusing.got.map((g) => g.status)).toEqual([404])
  const lines = log.lines.map((l) => JSON.parse(l))
  const line = (url: string) => lines.find((l) => l.webhook === url)
  expect(lines).toHaveLength(2)
  expect(line(busy.url)).toMatchObject({
    level: 50,
    alert: 'failed',
    job: 'boom',
    tries: 3,
    status: 500,
  })
  expect(line(refusing.url)).toMatchObject({ tries: 1, status: 404 })
  expect(log.lines.join('')).not.toContain(SECRET)
})

it('a network error is retried too', async () => {
  const hook = await receiver()
  const tw = makeTickwork()
  let calls = 0
  const flakyFetch: typeof fetch = (input, init) =>
    calls++ === 0 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)
  const alerts = createAlerts(tw, resolveAlerts({ webhooks: [{ url: hook.url }] }), new Map(), {
    fetch: flakyFetch,
    retry: FAST,
  })
  tw.job('boom', { retry: { attempts: 1 }, run: failing })
  const failed = new Promise((resolve) => tw.once('run:failed', resolve))
  await tw.start()
  await tw.enqueue('boom')
  await failed
  await alerts.close()
  expect(calls).toBe(2)
  expect(hook.delivered()).toMatchObject([{ kind: 'failed', job: 'boom' }])
})

it('refuses bad options, naming the field', () => {
  expect(() => resolveAlerts({ webhooks: [{ url: 'ftp://x' }], slowRun: 'soon' })).toThrow(
    /alerts\.webhooks\.0\.url: expected an http:\/\/ or https:\/\/ URL.*alerts\.slowRun: expected milliseconds/,
  )
  expect(() => resolveJobAlerts('j', { on: ['late' as never] })).toThrow(/alerts\.on/)
  expect(() =>
    resolveJobAlerts('j', { webhooks: [{ url: 'http://h', jobs: ['x'] } as never] }),
  ).toThrow(/alerts\.webhooks\.0\.jobs: unknown option/)
  expect(() =>
    resolveAlerts({ webhooks: [{ url: 'http://h', headers: { 'x-a': 'a\r\nb' } }] }),
  ).toThrow(/alerts\.webhooks\.0\.headers\.x-a/)
})

it('the alerts options of new Tickwork() and of a job are wired at start', async () => {
  const hook = await receiver()
  const tw = makeTickwork({ alerts: { webhooks: [{ url: `${hook.url}/all`, on: ['failed'] }] } })
  tw.job('loud', { retry: { attempts: 1 }, run: failing })
  tw.job('quiet', { retry: { attempts: 1 }, alerts: { on: false }, run: failing })
  tw.job('slow', {
    alerts: { slowRun: 30, webhooks: [{ url: `${hook.url}/slow`, on: ['slow'] }] },
    run: () => new Promise((r) => setTimeout(r, 60)),
  })
  await tw.start()
  await tw.enqueue('quiet')
  await tw.enqueue('loud')
  await tw.enqueue('slow')
  await until(() => hook.delivered().length === 2)
  const byPath = Object.fromEntries(hook.got.map((g) => [g.path, g.body]))
  expect(byPath['/all']).toMatchObject({ kind: 'failed', job: 'loud' })
  expect(byPath['/slow']).toMatchObject({ kind: 'slow', job: 'slow' })
  expect(hook.got.some((g) => g.body.job === 'quiet')).toBe(false)
})
