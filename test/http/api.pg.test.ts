import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PermanentError } from '../../src/index.js'
import { makeTickwork, until } from '../helpers.js'
import { heldBy } from '../util.js'
import { ADMIN, gate, READ, type Reply, startServer } from './server.js'

const DAY = 86_400_000

/** The next `n` times at hh:mm UTC after `now`, as ISO strings. */
function dailyUtc(now: number, hour: number, minute: number, n: number): string[] {
  const d = new Date(now)
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute)
  if (t <= now) t += DAY
  return Array.from({ length: n }, (_, i) => new Date(t + i * DAY).toISOString())
}

function expectError(r: Reply, status: number, code: string) {
  expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code })
  expect(typeof r.json.error.message).toBe('string')
}

describe('the API end to end, as an operator uses it', () => {
  it('GET /api/jobs and /api/jobs/:job: definition, schedule, watermark, backlog, recent, lastRun', async () => {
    const tw = makeTickwork()
    const held = gate()
    tw.job('report', {
      schedule: { cron: '0 3 * * *', timezone: 'UTC' },
      payload: z.object({ day: z.string() }),
      retry: { attempts: 4, backoff: 'fixed', delay: '2s' },
      keep: { completed: { count: 500 }, failed: { age: '30d' } },
      run: () => {},
    })
    tw.job('sync', {
      schedule: '0 * * * *',
      window: { lookback: '5m', maxSpan: '1d' },
      run: () => {},
    })
    tw.job('work', {
      retry: { attempts: 1 },
      run: async ({ payload }) => {
        await new Promise((r) => setTimeout(r, 30))
        if ((payload as { fail?: boolean }).fail) throw new PermanentError('no')
        return { ok: true }
      },
    })
    tw.job('held', { concurrency: 1, run: () => held.promise })
    await tw.start()
    const srv = await startServer(tw)

    // a windowed run sets the watermark (to its window's end)
    const sync = await srv.req('POST', '/api/jobs/sync/trigger', {
      token: ADMIN,
      body: { wait: true },
    })
    expect(sync.status).toBe(200)
    expect(sync.json.run.state).toBe('completed')
    // a few runs complete, then one fails
    const done = []
    for (let i = 0; i < 3; i++) {
      const r = await srv.req('POST', '/api/jobs/work/runs', {
        token: ADMIN,
        body: { payload: {} },
      })
      expect(r.status).toBe(201)
      done.push(r.json.id as string)
    }
    await until(async () => (await tw.runs.counts('work')).completed === 3)
    const failed = await srv.req('POST', '/api/jobs/work/runs', {
      token: ADMIN,
      body: { payload: { fail: true } },
    })
    await until(async () => (await tw.runs.counts('work')).failed === 1)
    // a backlog: one active, one waiting behind it (concurrency 1), one delayed
    await srv.req('POST', '/api/jobs/held/runs', { token: ADMIN })
    await srv.req('POST', '/api/jobs/held/runs', { token: ADMIN })
    await srv.req('POST', '/api/jobs/held/runs', {
      token: ADMIN,
      body: { options: { delay: '1h' } },
    })
    await until(async () => (await tw.runs.counts('held')).active === 1)

    const list = await srv.req('GET', '/api/jobs', { token: READ })
    expect(list.status).toBe(200)
    expect(list.json.jobs.map((j: { name: string }) => j.name)).toEqual([
      'held',
      'report',
      'sync',
      'work',
    ])

    const report = await srv.req('GET', '/api/jobs/report', { token: READ })
    expect(report.status).toBe(200)
    expect(report.json).toMatchObject({
      name: 'report',
      definition: {
        attempts: 4,
        backoff: { type: 'fixed', delayMs: 2000 },
        concurrency: 1,
        window: null,
        schedule: { overlap: 'skip', catchUp: 'latest' },
        keep: {
          completed: { ageMs: null, count: 500 },
          failed: { ageMs: 30 * DAY, count: null },
          cancelled: { ageMs: 7 * DAY, count: null },
        },
      },
      schedule: { job: 'report', cron: '0 3 * * *', timezone: 'UTC', paused: false },
      watermark: null,
      backlog: { waiting: 0, delayed: 0, active: 0, oldestWaitingAt: null },
      recent: { completed: 0, failed: 0, successRate: null, meanDurationMs: null },
      lastRun: null,
    })
    expect(report.json.definition.payloadSchema).toMatchObject({
      type: 'object',
      properties: { day: { type: 'string' } },
    })
    expect(report.json.schedule.next).toEqual(dailyUtc(Date.now(), 3, 0, 5))
    expect(list.json.jobs[1]).toEqual(report.json)

    const s = await srv.req('GET', '/api/jobs/sync', { token: READ })
    expect(s.json.definition.window).toEqual({ lookbackMs: 300_000, maxSpanMs: DAY })
    expect(s.json.definition.keep.completed).toEqual({ ageMs: DAY, count: 1000 })
    expect(s.json.watermark).toBe(sync.json.run.window.to)
    expect(s.json.lastRun).toMatchObject({ id: sync.json.id, state: 'completed' })

    const work = await srv.req('GET', '/api/jobs/work', { token: READ })
    expect(work.json.recent).toMatchObject({ completed: 3, failed: 1, successRate: 0.75 })
    expect(work.json.recent.meanDurationMs).toBeGreaterThanOrEqual(25)
    expect(work.json.recent.meanDurationMs).toBeLessThan(5_000)
    const failedRun = await tw.runs.get(failed.json.id)
    expect(work.json.lastRun).toEqual({
      id: failed.json.id,
      state: 'failed',
      finishedAt: failedRun?.finishedAt?.toISOString(),
    })
    expect(work.json.schedule).toBeNull()
    expect(work.json.backlog).toMatchObject({ waiting: 0, delayed: 0, active: 0 })

    const h = await srv.req('GET', '/api/jobs/held', { token: READ })
    expect(h.json.backlog).toMatchObject({ waiting: 1, delayed: 1, active: 1 })
    expect(Date.parse(h.json.backlog.oldestWaitingAt)).toBeLessThanOrEqual(Date.now())
    held.open()

    expectError(await srv.req('GET', '/api/jobs/nope', { token: READ }), 404, 'NOT_FOUND')
  })

  it('enqueue (201, idempotency key), trigger (202) and trigger with wait (200)', async () => {
    const tw = makeTickwork()
    tw.job('work', { run: ({ payload }) => ({ twice: (payload as number) * 2 }) })
    // no worker: what is enqueued stays waiting
    const srv = await startServer(tw)

    const first = await srv.req('POST', '/api/jobs/work/runs', {
      token: ADMIN,
      body: { payload: 1, options: { key: 'k-1', priority: 3 } },
    })
    expect(first.status).toBe(201)
    expect(first.json).toEqual({ id: expect.stringMatching(/^\d+$/), created: true })
    const again = await srv.req('POST', '/api/jobs/work/runs', {
      token: ADMIN,
      body: { payload: 2, options: { key: 'k-1' } },
    })
    expect(again.status).toBe(201)
    expect(again.json).toEqual({ id: first.json.id, created: false })
    const run = await srv.req('GET', `/api/runs/${first.json.id}`, { token: READ })
    expect(run.json).toMatchObject({
      id: first.json.id,
      job: 'work',
      state: 'waiting',
      payload: 1,
      key: 'k-1',
      priority: 3,
      source: 'api',
    })
    const byKey = await srv.req('GET', '/api/jobs/work/by-key/k-1', { token: READ })
    expect(byKey.json).toMatchObject({ id: first.json.id, key: 'k-1', state: 'waiting' })
    const noKey = await srv.req('GET', '/api/jobs/work/by-key/k-2', { token: READ })
    expect([noKey.status, noKey.json.error.code]).toEqual([404, 'NOT_FOUND'])

    const trig = await srv.req('POST', '/api/jobs/work/trigger', {
      token: ADMIN,
      body: { payload: 5 },
    })
    expect(trig.status).toBe(202)
    expect(trig.json).toEqual({ id: expect.stringMatching(/^\d+$/), created: true })
    expect(await tw.runs.get(trig.json.id)).toMatchObject({ source: 'manual', state: 'waiting' })

    const waited = await srv.req('POST', '/api/jobs/work/trigger', {
      token: ADMIN,
      body: { payload: 21, wait: true },
    })
    expect(waited.status).toBe(200)
    expect(waited.json).toMatchObject({
      created: true,
      run: { id: waited.json.id, state: 'completed', result: { twice: 42 }, source: 'manual' },
    })
    // with no body at all: a null payload
    const bare = await srv.req('POST', '/api/jobs/work/runs', { token: ADMIN })
    expect(bare.status).toBe(201)
    expect((await tw.runs.get(bare.json.id))?.payload).toBeNull()
  })

  it('GET /api/runs: job and state filters, keyset paging in 3 pages, one run by id', async () => {
    const tw = makeTickwork()
    tw.job('page', { run: () => {} })
    tw.job('other', { run: () => {} })
    const srv = await startServer(tw)
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await srv.req('POST', '/api/jobs/page/runs', { token: ADMIN, body: { payload: i } })
      ids.push(r.json.id)
    }
    const other = await srv.req('POST', '/api/jobs/other/runs', { token: ADMIN })
    // cancel a waiting run through the API
    const cancel = await srv.req('POST', `/api/runs/${ids[2]}/cancel`, { token: ADMIN })
    expect(cancel.status).toBe(200)
    expect(cancel.json).toMatchObject({ id: ids[2], state: 'cancelled', payload: 2 })

    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const q = `/api/runs?job=page&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const r = await srv.req('GET', q, { token: READ })
      expect(r.status).toBe(200)
      expect(r.json.runs).toHaveLength(2)
      for (const run of r.json.runs) expect(run.job).toBe('page')
      seen.push(...r.json.runs.map((x: { id: string }) => x.id))
      cursor = r.json.next
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    // newest first, each exactly once
    expect(seen).toEqual([...ids].reverse())

    const all = await srv.req('GET', '/api/runs', { token: READ })
    expect(all.json.runs.map((r: { id: string }) => r.id)).toEqual(
      [...ids, other.json.id].sort((a, b) => Number(b) - Number(a)),
    )
    expect(all.json.next).toBeUndefined()
    const waiting = await srv.req('GET', '/api/runs?job=page&state=waiting', { token: READ })
    expect(waiting.json.runs).toHaveLength(5)
    expect(new Set(waiting.json.runs.map((r: { state: string }) => r.state))).toEqual(
      new Set(['waiting']),
    )
    const none = await srv.req('GET', '/api/runs?job=other&state=active', { token: READ })
    expect(none.json).toEqual({ runs: [] })

    const one = await srv.req('GET', `/api/runs/${ids[0]}`, { token: READ })
    expect(one.status).toBe(200)
    expect(one.json).toMatchObject({ id: ids[0], job: 'page', payload: 0, state: 'waiting' })
    expect(one.json).toEqual(all.json.runs.find((r: { id: string }) => r.id === ids[0]))

    expectError(await srv.req('GET', '/api/runs/987654321', { token: READ }), 404, 'NOT_FOUND')
    expectError(await srv.req('GET', '/api/runs/abc', { token: READ }), 400, 'VALIDATION')
    expectError(await srv.req('GET', '/api/runs?state=nope', { token: READ }), 400, 'VALIDATION')
    expectError(await srv.req('GET', '/api/runs?cursor=x1', { token: READ }), 400, 'VALIDATION')
  })

  it('GET /api/runs?state= a finished state (completed, failed, cancelled) answers 200', async () => {
    const tw = makeTickwork()
    tw.job('ends', {
      retry: { attempts: 1 },
      run: ({ payload }) => {
        if (payload === 'fail') throw new Error('failed on purpose')
      },
    })
    const srv = await startServer(tw)
    const ok = await tw.trigger('ends', 'ok', { wait: true })
    const failed = await tw.trigger('ends', 'fail', { wait: true })
    const cancelled = await tw.enqueue('ends', 'never')
    await tw.runs.cancel(cancelled.id)
    const want = { completed: ok.id, failed: failed.id, cancelled: cancelled.id }
    const got: Record<string, unknown> = {}
    for (const [state, id] of Object.entries(want)) {
      for (const q of [`state=${state}`, `job=ends&state=${state}&limit=1`]) {
        const r = await srv.req('GET', `/api/runs?${q}`, { token: READ })
        got[q] = r.status === 200 ? r.json.runs.map((x: { id: string }) => x.id) : r.status
        expect(got[q], q).toEqual([id])
      }
    }
  })

  it('retry, cancel, retry-failed and counts', async () => {
    const tw = makeTickwork()
    let broken = true
    tw.job('flaky', {
      retry: { attempts: 1 },
      run: () => {
        if (broken) throw new Error('down')
        return 'fine'
      },
    })
    tw.job('later', { run: () => {} })
    await tw.start()
    const srv = await startServer(tw)

    const a = await srv.req('POST', '/api/jobs/flaky/runs', {
      token: ADMIN,
      body: { payload: 'a' },
    })
    const b = await srv.req('POST', '/api/jobs/flaky/runs', {
      token: ADMIN,
      body: { payload: 'b' },
    })
    const c = await srv.req('POST', '/api/jobs/flaky/runs', {
      token: ADMIN,
      body: { payload: 'c' },
    })
    await until(async () => (await tw.runs.counts('flaky')).failed === 3)
    const failedRun = await srv.req('GET', `/api/runs/${a.json.id}`, { token: READ })
    expect(failedRun.json).toMatchObject({ state: 'failed', attempt: 1 })
    expect(failedRun.json.errors).toMatchObject([{ attempt: 1, name: 'Error', message: 'down' }])

    broken = false
    const retried = await srv.req('POST', `/api/runs/${a.json.id}/retry`, { token: ADMIN })
    expect(retried.status).toBe(200)
    expect(retried.json.id).toBe(a.json.id)
    expect(['waiting', 'active', 'completed']).toContain(retried.json.state)
    await until(async () => (await tw.runs.get(a.json.id))?.state === 'completed')
    const after = await srv.req('GET', `/api/runs/${a.json.id}`, { token: READ })
    expect(after.json).toMatchObject({ state: 'completed', result: 'fine' })
    expect(after.json.errors).toHaveLength(1)
    expectError(
      await srv.req('POST', `/api/runs/${a.json.id}/retry`, { token: ADMIN }),
      409,
      'CONFLICT',
    )
    expectError(
      await srv.req('POST', '/api/runs/987654321/retry', { token: ADMIN }),
      404,
      'NOT_FOUND',
    )

    // the two still failed, in bulk
    const bulk = await srv.req('POST', '/api/runs/retry-failed', {
      token: ADMIN,
      body: { job: 'flaky' },
    })
    expect(bulk.status).toBe(200)
    expect([...bulk.json.retried].sort()).toEqual([b.json.id, c.json.id].sort())
    await until(async () => (await tw.runs.counts('flaky')).completed === 3)
    const nothing = await srv.req('POST', '/api/runs/retry-failed', { token: ADMIN })
    expect(nothing.json).toEqual({ retried: [] })

    // cancel a waiting (delayed) run, then again
    const d = await srv.req('POST', '/api/jobs/later/runs', {
      token: ADMIN,
      body: { options: { delay: '1h' } },
    })
    expect((await srv.req('GET', `/api/runs/${d.json.id}`, { token: READ })).json.state).toBe(
      'delayed',
    )
    const cancel = await srv.req('POST', `/api/runs/${d.json.id}/cancel`, { token: ADMIN })
    expect(cancel.status).toBe(200)
    expect(cancel.json).toMatchObject({ id: d.json.id, state: 'cancelled' })
    expectError(
      await srv.req('POST', `/api/runs/${d.json.id}/cancel`, { token: ADMIN }),
      409,
      'CONFLICT',
    )
    expectError(
      await srv.req('POST', `/api/runs/${a.json.id}/cancel`, { token: ADMIN }),
      409,
      'CONFLICT',
    )

    const counts = await srv.req('GET', '/api/counts', { token: READ })
    expect(counts.json).toEqual({
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 3,
      failed: 0,
      cancelled: 1,
    })
    expect(counts.json).toEqual(await tw.runs.counts())
    const flaky = await srv.req('GET', '/api/counts?job=flaky', { token: READ })
    expect(flaky.json).toMatchObject({ completed: 3, cancelled: 0 })
  })

  it('pause, resume, schedule change, next, watermark, all audited', async () => {
    const tw = makeTickwork()
    tw.job('report', { schedule: '0 3 * * *', run: () => {} })
    tw.job('sync', { schedule: '0 * * * *', window: { lookback: '1m' }, run: () => {} })
    await tw.start({ worker: false })
    const srv = await startServer(tw)

    const paused = await srv.req('POST', '/api/jobs/report/pause', { token: ADMIN })
    expect(paused.status).toBe(200)
    expect(paused.json).toMatchObject({ job: 'report', paused: true, cron: '0 3 * * *' })
    let job = await srv.req('GET', '/api/jobs/report', { token: READ })
    expect(job.json.schedule).toMatchObject({ paused: true, next: [] })
    expect((await srv.req('GET', '/api/jobs/report/schedule/next', { token: READ })).json).toEqual({
      next: [],
    })
    const resumed = await srv.req('POST', '/api/jobs/report/resume', { token: ADMIN })
    expect(resumed.json).toMatchObject({ job: 'report', paused: false })
    job = await srv.req('GET', '/api/jobs/report', { token: READ })
    expect(job.json.schedule.paused).toBe(false)
    expect(job.json.schedule.next).toHaveLength(5)

    const bad = await srv.req('PATCH', '/api/jobs/report/schedule', {
      token: ADMIN,
      body: { cron: 'every tuesday' },
    })
    expectError(bad, 400, 'VALIDATION')
    expect(bad.json.error.message).toMatch(/cron/)
    expect(bad.json.error.details.issues.map((i: { path: string }) => i.path)).toContain('cron')
    const badZone = await srv.req('PATCH', '/api/jobs/report/schedule', {
      token: ADMIN,
      body: { timezone: 'Mars/Olympus' },
    })
    expectError(badZone, 400, 'VALIDATION')
    expect(badZone.json.error.message).toMatch(/timezone/)
    expect((await tw.schedules.get('report')).cron).toBe('0 3 * * *')

    const changed = await srv.req('PATCH', '/api/jobs/report/schedule', {
      token: ADMIN,
      body: { cron: '30 4 * * *' },
    })
    expect(changed.status).toBe(200)
    expect(changed.json).toMatchObject({ cron: '30 4 * * *', timezone: 'UTC' })
    const next = await srv.req('GET', '/api/jobs/report/schedule/next?n=3', { token: READ })
    expect(next.json).toEqual({ next: dailyUtc(Date.now(), 4, 30, 3) })
    const next5 = await srv.req('GET', '/api/jobs/report/schedule/next', { token: READ })
    expect(next5.json.next).toEqual(dailyUtc(Date.now(), 4, 30, 5))
    expectError(
      await srv.req('GET', '/api/jobs/report/schedule/next?n=0', { token: READ }),
      400,
      'VALIDATION',
    )

    // watermark: none before a first run, then set by hand
    expect((await srv.req('GET', '/api/jobs/sync/watermark', { token: READ })).json).toEqual({
      job: 'sync',
      watermark: null,
    })
    const put = await srv.req('PUT', '/api/jobs/sync/watermark', {
      token: ADMIN,
      body: { value: '2026-01-02T03:04:05Z' },
    })
    expect(put.status).toBe(200)
    expect(put.json).toEqual({ job: 'sync', watermark: '2026-01-02T03:04:05.000Z' })
    expect((await srv.req('GET', '/api/jobs/sync/watermark', { token: READ })).json).toEqual(
      put.json,
    )
    expect((await srv.req('GET', '/api/jobs/sync', { token: READ })).json.watermark).toBe(
      '2026-01-02T03:04:05.000Z',
    )
    expectError(
      await srv.req('PUT', '/api/jobs/report/watermark', {
        token: ADMIN,
        body: { value: '2026-01-02T03:04:05Z' },
      }),
      400,
      'VALIDATION',
    )
    expectError(
      await srv.req('PUT', '/api/jobs/sync/watermark', { token: ADMIN, body: { value: 'soon' } }),
      400,
      'VALIDATION',
    )

    const audit = await srv.req('GET', '/api/audit?job=report', { token: READ })
    expect(audit.status).toBe(200)
    expect(audit.json.entries.map((e: { action: string }) => e.action)).toEqual([
      'schedule.update',
      'schedule.resume',
      'schedule.pause',
    ])
    for (const e of audit.json.entries) expect(e.job).toBe('report')
    const wm = await srv.req('GET', '/api/audit?job=sync', { token: READ })
    expect(wm.json.entries).toEqual([
      {
        at: expect.any(String),
        job: 'sync',
        action: 'watermark.set',
        detail: { from: null, to: '2026-01-02T03:04:05.000Z' },
      },
    ])
    const limited = await srv.req('GET', '/api/audit?limit=2', { token: READ })
    expect(limited.json.entries).toHaveLength(2)
    expect(limited.json.entries[0].action).toBe('watermark.set')
  })

  it('backfill: 202 with its total, followed to completion; the same again enqueues nothing', async () => {
    const tw = makeTickwork()
    const ran: string[] = []
    tw.job('daily', {
      schedule: '0 0 * * *',
      run: ({ run }) => {
        ran.push(run.tick?.toISOString() ?? 'none')
      },
    })
    await tw.start()
    const srv = await startServer(tw)
    const today = Math.floor(Date.now() / DAY) * DAY
    const from = new Date(today - 10 * DAY).toISOString()
    const to = new Date(today - 3 * DAY).toISOString()

    const started = await srv.req('POST', '/api/jobs/daily/backfill', {
      token: ADMIN,
      body: { from, to, concurrency: 3 },
    })
    expect(started.status).toBe(202)
    expect(started.json).toMatchObject({ job: 'daily', from, to, total: 7 })
    const id = started.json.id as string
    let status: Reply | undefined
    await until(async () => {
      status = await srv.req('GET', `/api/backfills/${id}`, { token: READ })
      return status.json.state === 'completed'
    })
    expect(status?.json).toMatchObject({
      total: 7,
      enqueued: 7,
      existing: 0,
      completed: 7,
      failed: 0,
    })
    expect(ran.sort()).toEqual(
      Array.from({ length: 7 }, (_, i) => new Date(today - (10 - i) * DAY).toISOString()),
    )

    const again = await srv.req('POST', '/api/jobs/daily/backfill', {
      token: ADMIN,
      body: { from, to },
    })
    expect(again.status).toBe(202)
    expect(again.json.id).not.toBe(id)
    expect(again.json).toMatchObject({ total: 7, enqueued: 0, existing: 7 })
    await until(async () => {
      status = await srv.req('GET', `/api/backfills/${again.json.id}`, { token: READ })
      return status.json.state === 'completed'
    })
    expect(status?.json).toMatchObject({ enqueued: 0, existing: 7, completed: 0 })
    expect(ran).toHaveLength(7)

    expectError(
      await srv.req('POST', '/api/jobs/daily/backfill', {
        token: ADMIN,
        body: { from: to, to: from },
      }),
      400,
      'VALIDATION',
    )
    expectError(
      await srv.req('POST', '/api/jobs/daily/backfill', {
        token: ADMIN,
        body: { from, to: new Date(Date.now() + DAY).toISOString() },
      }),
      400,
      'VALIDATION',
    )
    expectError(await srv.req('GET', '/api/backfills/987654', { token: READ }), 404, 'NOT_FOUND')
    expectError(await srv.req('GET', '/api/backfills/abc', { token: READ }), 404, 'NOT_FOUND')
  })

  it('GET /api/runs/:id/items of a run using ctx.items.each', async () => {
    const tw = makeTickwork()
    tw.job('itemized', {
      run: async ({ items }) =>
        items.each(['a', 'b', 'c'], { key: (x) => `user-${x}` }, async (x) => {
          if (x === 'b') throw new Error('b is broken')
        }),
    })
    const srv = await startServer(tw)
    const made = await srv.req('POST', '/api/jobs/itemized/trigger', {
      token: ADMIN,
      body: { wait: true },
    })
    expect(made.status).toBe(200)
    expect(made.json.run).toMatchObject({
      state: 'completed',
      result: { total: 3, ok: 2, failed: 1, skipped: 0 },
    })
    const items = await srv.req('GET', `/api/runs/${made.json.id}/items`, { token: READ })
    expect(items.status).toBe(200)
    expect(items.json.items.map((i: { key: string }) => i.key).sort()).toEqual([
      'user-a',
      'user-b',
      'user-c',
    ])
    for (const i of items.json.items) {
      expect(i).toMatchObject({ job: 'itemized', runId: made.json.id, attempt: 1 })
      expect(i.ok).toBe(i.key !== 'user-b')
    }
    const failed = await srv.req('GET', `/api/runs/${made.json.id}/items?ok=false`, { token: READ })
    expect(failed.json.items).toMatchObject([
      { key: 'user-b', ok: false, error: { name: 'Error', message: 'b is broken' } },
    ])
    const one = await srv.req('GET', `/api/runs/${made.json.id}/items?ok=true&limit=1`, {
      token: READ,
    })
    expect(one.json.items).toHaveLength(1)
    expectError(
      await srv.req('GET', '/api/runs/987654321/items', { token: READ }),
      404,
      'NOT_FOUND',
    )
  })

  it('GET and DELETE /api/locks', async () => {
    const tw = makeTickwork()
    tw.job('j', { run: () => {} })
    const srv = await startServer(tw)
    const lease = await tw.lock.acquire('nightly-export', { ttl: '1m', owner: 'ops-box' })
    const locks = await srv.req('GET', '/api/locks', { token: READ })
    expect(locks.status).toBe(200)
    expect(locks.json).toEqual({
      locks: [
        { name: 'nightly-export', owner: 'ops-box', expiresAt: lease?.expiresAt.toISOString() },
      ],
    })
    const del = await srv.req('DELETE', '/api/locks/nightly-export', { token: ADMIN })
    expect(del.status).toBe(200)
    expect(del.json).toEqual({ cleared: true })
    expect(await tw.lock.get('nightly-export')).toBeUndefined()
    expect((await srv.req('DELETE', '/api/locks/nightly-export', { token: ADMIN })).json).toEqual({
      cleared: false,
    })
    expect((await srv.req('GET', '/api/locks', { token: READ })).json).toEqual({ locks: [] })
    // a trigger lock, by its encoded name
    const t = await tw.trigger('j', null, { lock: true })
    const held = await srv.req('GET', '/api/locks', { token: READ })
    expect(held.json.locks).toMatchObject([
      { name: 'job-lock:j', owner: expect.stringMatching(heldBy(t.id)) },
    ])
    expect(
      (await srv.req('DELETE', `/api/locks/${encodeURIComponent('job-lock:j')}`, { token: ADMIN }))
        .json,
    ).toEqual({ cleared: true })
  })

  it('unknown job, unknown run, malformed run id, unknown route', async () => {
    const tw = makeTickwork()
    tw.job('j', { run: () => {} })
    const srv = await startServer(tw)
    const unknown = await srv.req('GET', '/api/jobs/nope', { token: READ })
    expectError(unknown, 404, 'NOT_FOUND')
    expect(unknown.json.error.message).toMatch(/nope/)
    expectError(await srv.req('POST', '/api/jobs/nope/trigger', { token: ADMIN }), 404, 'NOT_FOUND')
    expectError(await srv.req('POST', '/api/jobs/nope/pause', { token: ADMIN }), 404, 'NOT_FOUND')
    expectError(
      await srv.req('GET', '/api/jobs/nope/schedule/next', { token: READ }),
      404,
      'NOT_FOUND',
    )
    expectError(await srv.req('GET', '/api/runs/123456789012', { token: READ }), 404, 'NOT_FOUND')
    const malformed = await srv.req('GET', '/api/runs/12ab', { token: READ })
    expectError(malformed, 400, 'VALIDATION')
    expectError(await srv.req('POST', '/api/runs/12ab/cancel', { token: ADMIN }), 400, 'VALIDATION')
    expectError(await srv.req('GET', '/api/nothing-here', { token: READ }), 404, 'NOT_FOUND')
    expect(await tw.runs.counts()).toMatchObject({ waiting: 0, completed: 0 })
  })
})
