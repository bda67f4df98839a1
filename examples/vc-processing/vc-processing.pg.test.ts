import { createApp, type RetryOptions, ValidationError } from 'tickwork'
import { afterEach, describe, expect, it } from 'vitest'
import { freshSchema, makeTickwork, manualClock, pgClient, until } from '../../test/helpers.js'
import type { VcRecord } from './analytics.js'
import { installVcProcessing } from './app.js'
import { vcProcessingOptionsFromEnv } from './env.js'
import {
  DEMO_DOCUMENTS,
  demoRecords,
  type FakeAnalytics,
  startFakeAnalytics,
} from './fake-analytics.js'
import { statusOf } from './stats.js'

const JOB = 'vc-processing'
const DAY = '2026-03-01'
const at = (hhmm: string) => new Date(`${DAY}T${hhmm}:00.000Z`)
const iso = (hhmm: string) => at(hhmm).toISOString()
const TOKEN = 'vc-processing-test-admin-token'

const db = await pgClient()
const fakes: FakeAnalytics[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
})

/** The app on a manual clock at 01:00, with doc-1 … doc-10, its fake and a tick driver. */
async function setup(
  o: {
    records?: (from: Date, to: Date) => VcRecord[]
    retry?: RetryOptions
    timeoutMs?: number
    maxSpanMinutes?: number
    typeMap?: Record<string, string>
  } = {},
) {
  const clock = manualClock(at('01:00').getTime())
  const tw = makeTickwork({ clock })
  const fake = await startFakeAnalytics(o.records ? { records: o.records } : {})
  fakes.push(fake)
  const schema = freshSchema()
  const app = await installVcProcessing(tw, {
    baseUrl: fake.url,
    schema,
    timeoutMs: o.timeoutMs ?? 5000,
    retry: o.retry ?? { attempts: 1 },
    ...(o.maxSpanMinutes ? { maxSpanMinutes: o.maxSpanMinutes } : {}),
    ...(o.typeMap ? { typeMap: o.typeMap } : {}),
  })
  await app.addDocuments(Array.from({ length: DEMO_DOCUMENTS }, (_, i) => ({ id: `doc-${i + 1}` })))
  await tw.start()
  const ended = async () => {
    const c = await tw.runs.counts(JOB)
    return c.completed + c.failed
  }
  /** Moves the clock just past `hhmm` and waits for `runs` more runs to end, none live. */
  const tick = async (hhmm: string, runs = 1) => {
    const target = (await ended()) + runs
    clock.set(at(hhmm).getTime() + 5)
    await until(async () => {
      const c = await tw.runs.counts(JOB)
      return c.completed + c.failed === target && c.waiting + c.delayed + c.active === 0
    })
  }
  const watermark = async () => (await tw.watermark.get(JOB))?.toISOString()
  const docs = async () =>
    Object.fromEntries((await app.listDocuments()).map((d) => [d.id, d.vcPublicId]))
  return { tw, app, fake, clock, schema, tick, watermark, docs }
}

/** What the documents must hold after `records` were applied in order: the latest VC each. */
function expectedDocs(records: VcRecord[]): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (let i = 1; i <= DEMO_DOCUMENTS; i++) out[`doc-${i}`] = null
  for (const r of records)
    if (r.type === 'record_anchored' && r.document_id in out) out[r.document_id] = r.vc_public_id
  return out
}

describe('vc-processing', () => {
  it('windows from the watermark: exact spans, documents updated, API failures leave the watermark, reset re-processes without rollback', async () => {
    const { tw, fake, tick, watermark, docs, app } = await setup({
      timeoutMs: 300,
      maxSpanMinutes: 120,
    })
    // first tick: the watermark starts at tick − lookback; nothing is fetched
    await tick('02:00')
    expect(await watermark()).toBe(iso('00:00'))
    expect(fake.requests).toEqual([])

    await tick('04:00')
    expect(fake.requests).toEqual([{ from: iso('00:00'), to: iso('02:00') }])
    expect(await watermark()).toBe(iso('02:00'))
    expect(await docs()).toEqual(expectedDocs(demoRecords(at('00:00'), at('02:00'))))
    await tick('06:00')
    expect(await watermark()).toBe(iso('04:00'))

    // a 500, a hang past the timeout, a malformed body: each run fails, the watermark stays
    fake.failNext(500)
    await tick('08:00')
    fake.failNext('hang')
    await tick('10:00')
    fake.failNext('malformed')
    await tick('12:00')
    expect(await watermark()).toBe(iso('04:00'))
    const failed = await tw.runs.list({ job: JOB, state: 'failed' })
    expect(failed.runs.map((r) => r.errors.at(-1)?.message).sort()).toEqual([
      'analytics API answered 500',
      expect.stringMatching(/^analytics API sent a malformed summary/),
      'analytics API timed out after 300 ms',
    ])
    // each failed run tried the first window of the gap (maxSpan is 2 h); the next tick
    // covers the whole gap, window after window
    await tick('14:00', 4)
    expect(await watermark()).toBe(iso('12:00'))
    const spans = (a: string, b: string) => ({ from: iso(a), to: iso(b) })
    expect(fake.requests).toEqual([
      spans('00:00', '02:00'),
      spans('02:00', '04:00'),
      spans('04:00', '06:00'),
      spans('04:00', '06:00'),
      spans('04:00', '06:00'),
      spans('04:00', '06:00'),
      spans('06:00', '08:00'),
      spans('08:00', '10:00'),
      spans('10:00', '12:00'),
    ])
    const all = demoRecords(at('00:00'), at('12:00'))
    expect(await docs()).toEqual(expectedDocs(all))
    // every record once in the item log, with its outcome and, if skipped, the reason
    const items = await tw.items.list({ job: JOB, limit: 1000 })
    expect(items.map((i) => i.key).sort()).toEqual(all.map((r) => r.id).sort())
    for (const r of all) {
      const item = items.find((i) => i.key === r.id)
      const missing = Number(r.document_id.slice(4)) > DEMO_DOCUMENTS
      if (r.type !== 'record_anchored')
        expect(item?.error).toEqual({
          name: 'UnknownVcType',
          message: "no document status for type 'record_revoked'",
        })
      else if (missing)
        expect(item?.error).toEqual({
          name: 'DocumentNotFound',
          message: `document '${r.document_id}' does not exist`,
        })
      else expect(item?.ok).toBe(true)
    }
    expect(items.filter((i) => i.error?.name === 'DocumentNotFound').length).toBeGreaterThan(0)
    expect(items.filter((i) => i.error?.name === 'UnknownVcType').length).toBeGreaterThan(0)

    // reset (the legacy "reset cron state"), over the HTTP API: the windows from 00:00 run
    // again; documents whose latest event is older than 12:00 are not touched (no rollback
    // to the older events re-read first)
    const before = await app.listDocuments()
    const http = createApp(tw, { tokens: { admin: [TOKEN] } })
    const put = await http.request(`/api/jobs/${JOB}/watermark`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: iso('00:00') }),
    })
    expect(put.status).toBe(200)
    await tick('16:00', 7)
    expect(await watermark()).toBe(iso('14:00'))
    expect(await docs()).toEqual(expectedDocs(demoRecords(at('00:00'), at('14:00'))))
    const late = new Set(demoRecords(at('12:00'), at('14:00')).map((r) => r.document_id))
    const after = await app.listDocuments()
    for (const d of before.filter((d) => !late.has(d.id)))
      expect(after.find((a) => a.id === d.id)?.updatedAt).toEqual(d.updatedAt)
  })

  it('a retried window redoes only the records that failed, and skips those done', async () => {
    const { tw, fake, clock, schema, tick, watermark, docs } = await setup({
      retry: { attempts: 2, backoff: 'fixed', delay: '1s' },
    })
    await tick('02:00')
    const window = demoRecords(at('00:00'), at('02:00'))
    const known = (r: VcRecord) =>
      r.type === 'record_anchored' && Number(r.document_id.slice(4)) <= DEMO_DOCUMENTS
    const victim = window.find(known) as VcRecord
    const holder = Array.from({ length: DEMO_DOCUMENTS }, (_, i) => `doc-${i + 1}`).find(
      (d) => !window.some((r) => r.document_id === d),
    ) as string
    // another document already holds the victim's public id: its update violates the
    // unique index, a failure that is not a skip
    await db.query(`UPDATE "${schema}".documents SET vc_public_id = $2 WHERE id = $1`, [
      holder,
      victim.vc_public_id,
    ])
    clock.set(at('04:00').getTime() + 5)
    await until(async () => (await tw.runs.counts(JOB)).delayed === 1)
    expect(await watermark()).toBe(iso('00:00'))
    const failedItem = (await tw.items.list({ job: JOB, ok: false })).find(
      (i) => i.key === victim.id,
    )
    expect(failedItem?.error?.message).toMatch(/unique/)
    // the conflict is resolved before the retry
    await db.query(`UPDATE "${schema}".documents SET vc_public_id = NULL WHERE id = $1`, [holder])
    clock.advance(1500)
    await until(async () => (await watermark()) === iso('02:00'))
    await until(async () => (await tw.runs.counts(JOB)).completed === 2)
    expect(fake.requests).toEqual([
      { from: iso('00:00'), to: iso('02:00') },
      { from: iso('00:00'), to: iso('02:00') },
    ])
    const items = await tw.items.list({ job: JOB, limit: 1000 })
    const attempts = Object.fromEntries(items.map((i) => [i.key, i.attempt]))
    // done in attempt 1 and skipped by attempt 2; the victim and the skips redone
    for (const r of window) expect(attempts[r.id]).toBe(r === victim || !known(r) ? 2 : 1)
    const retried = (await tw.runs.list({ job: JOB, state: 'completed' })).runs[0]
    expect(retried?.attempt).toBe(2)
    expect(retried?.result).toEqual({
      from: iso('00:00'),
      to: iso('02:00'),
      records: window.length,
      processed: 1,
      skipped: window.filter((r) => !known(r)).length,
      failed: 0,
      alreadyDone: window.filter(known).length - 1,
    })
    expect((await docs())[victim.document_id]).toBe(victim.vc_public_id)
    expect(await docs()).toEqual(expectedDocs(window))
    await tick('06:00')
    expect(await watermark()).toBe(iso('04:00'))
  })

  it('success rate on known data, an extended type map, and the same numbers over HTTP', async () => {
    const fixed: VcRecord[] = [
      ...[1, 2, 3, 4, 5].map((n) => rec(`e${n}`, 'record_anchored', `doc-${n}`)),
      rec('e6', 'record_updated', 'doc-6'),
      rec('e7', 'record_anchored', 'doc-98'),
      rec('e8', 'record_anchored', 'doc-99'),
      rec('e9', 'record_revoked', 'doc-8'),
      // doc-10 is given this public id below: a failure on the last attempt stays failed
      { ...rec('e10', 'record_anchored', 'doc-9'), vc_public_id: 'taken' },
    ]
    const { tw, app, clock, schema, tick, watermark } = await setup({
      records: (from) => (from.getTime() === at('00:00').getTime() ? fixed : []),
      typeMap: { record_updated: 'updated' },
    })
    await db.query(`UPDATE "${schema}".documents SET vc_public_id = 'taken' WHERE id = 'doc-10'`)
    await tick('02:00')
    await tick('04:00')
    // one bad record on the last attempt does not hold the watermark
    expect(await watermark()).toBe(iso('02:00'))
    expect(await app.successRate()).toEqual([
      { status: 'processed', count: 6, percentage: 60 },
      { status: 'skipped', count: 3, percentage: 30 },
      { status: 'failed', count: 1, percentage: 10 },
    ])
    const doc6 = (await app.listDocuments()).find((d) => d.id === 'doc-6')
    expect(doc6).toMatchObject({ vcPublicId: 'vc-e6', vcStatus: 'updated', vcEventId: 'e6' })
    // the period is counted back from now by the instance's clock
    clock.set(at('05:30').getTime())
    expect(await app.successRate(1)).toEqual([])
    expect((await app.successRate(2)).map((r) => r.count)).toEqual([6, 3, 1])
    await expect(app.successRate(0)).rejects.toBeInstanceOf(ValidationError)

    // over HTTP: the job (watermark, run stats) and the run's item log with its counts
    const http = createApp(tw, { tokens: { admin: [TOKEN] } })
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
    const get = async (path: string): Promise<any> => {
      const res = await http.request(path, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(res.status).toBe(200)
      return res.json()
    }
    const job = await get(`/api/jobs/${JOB}`)
    expect(job.watermark).toBe(iso('02:00'))
    const run = (await tw.runs.list({ job: JOB, state: 'completed' })).runs[0]
    const log = await get(`/api/runs/${run?.id}/items?limit=100`)
    expect(log.counts).toEqual({ ok: 6, failed: 4 })
    const tally: Record<string, number> = {}
    for (const i of log.items as Array<Parameters<typeof statusOf>[0]>)
      tally[statusOf(i)] = (tally[statusOf(i)] ?? 0) + 1
    expect(tally).toEqual({ processed: 6, skipped: 3, failed: 1 })
  })

  it('environment: legacy defaults, and a bad value names its variable', () => {
    expect(vcProcessingOptionsFromEnv({})).toEqual({
      cron: '0 */2 * * *',
      lookbackMinutes: 120,
      maxSpanMinutes: 1440,
      baseUrl: undefined,
      timeoutMs: 30_000,
    })
    expect(
      vcProcessingOptionsFromEnv({
        VC_PROCESSING_CRON_SCHEDULE: '0 */4 * * *',
        VC_PROCESSING_LOOKBACK_MINUTES: '30',
        DHIWAY_ANALYTICS_BASE_URL: 'https://api.dhiway.net/',
        DHIWAY_ANALYTICS_TIMEOUT_MS: '5000',
      }),
    ).toMatchObject({
      cron: '0 */4 * * *',
      lookbackMinutes: 30,
      baseUrl: 'https://api.dhiway.net',
      timeoutMs: 5000,
    })
    const issues = (env: Record<string, string>) => {
      try {
        vcProcessingOptionsFromEnv(env)
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError)
        return (err as ValidationError).issues.map((i) => i.path)
      }
      throw new Error('accepted')
    }
    expect(issues({ VC_PROCESSING_CRON_SCHEDULE: '0 */2 * *' })).toEqual([
      'VC_PROCESSING_CRON_SCHEDULE',
    ])
    expect(issues({ VC_PROCESSING_CRON_SCHEDULE: '61 * * * *' })).toEqual([
      'VC_PROCESSING_CRON_SCHEDULE',
    ])
    // the reason is tickwork's own parser's
    expect(() => vcProcessingOptionsFromEnv({ VC_PROCESSING_CRON_SCHEDULE: '61 * * * *' })).toThrow(
      expect.objectContaining({
        issues: [
          {
            path: 'VC_PROCESSING_CRON_SCHEDULE',
            message: expect.stringContaining('Invalid value for minute: 61'),
          },
        ],
      }),
    )
    expect(issues({ VC_PROCESSING_LOOKBACK_MINUTES: 'abc' })).toEqual([
      'VC_PROCESSING_LOOKBACK_MINUTES',
    ])
    expect(
      issues({ DHIWAY_ANALYTICS_TIMEOUT_MS: '0', DHIWAY_ANALYTICS_BASE_URL: 'ftp://x' }).sort(),
    ).toEqual(['DHIWAY_ANALYTICS_BASE_URL', 'DHIWAY_ANALYTICS_TIMEOUT_MS'])
    expect(issues({ VC_PROCESSING_MAX_SPAN_MINUTES: '0' })).toEqual([
      'VC_PROCESSING_MAX_SPAN_MINUTES',
    ])
  })
})

function rec(id: string, type: string, doc: string): VcRecord {
  return { id, type, document_id: doc, vc_public_id: `vc-${id}`, created_at: iso('00:30') }
}
