import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { PermanentError } from '../../src/index.js'
import { drivers, makeTickwork, manualClock, until } from '../helpers.js'
import { ADMIN, defaultOptions, gate, READ, startServer } from './server.js'

// The reads the dashboard is drawn from, and the page itself.

const T0 = Date.parse('2026-01-01T09:30:00Z')

describe.each(drivers)('the reads of the dashboard on $driver', ({ database }) => {
  const mk = (options: Parameters<typeof makeTickwork>[0] = {}) =>
    makeTickwork({ database: database(), ...options })

  describe('GET /api/session', () => {
    it("tells the token's scope; no token is 401", async () => {
      const srv = await startServer(mk())
      expect((await srv.req('GET', '/api/session', { token: ADMIN })).json).toEqual({
        scope: 'admin',
      })
      expect((await srv.req('GET', '/api/session', { token: READ })).json).toEqual({
        scope: 'read',
      })
      expect((await srv.req('GET', '/api/session')).status).toBe(401)
      expect((await srv.req('GET', '/api/session', { token: 'nope' })).status).toBe(401)
    })
  })

  describe('GET /api/activity', () => {
    it('counts finished runs per job in aligned hourly buckets, with run times', async () => {
      const clock = manualClock(T0)
      const tw = mk({ clock, leaseTime: '1d' })
      tw.job('work', {
        retry: { attempts: 1 },
        run: async ({ payload }) => {
          // the run's time comes from the manual clock: move it while the run runs
          clock.advance(250)
          if ((payload as { fail?: boolean }).fail) throw new PermanentError('no')
        },
      })
      tw.job('idle', { run: () => {} })
      await tw.start()
      const srv = await startServer(tw)
      await tw.enqueue('work', {})
      await tw.enqueue('work', {})
      await until(async () => (await tw.runs.counts('work')).completed === 2)
      clock.set(Date.parse('2026-01-01T11:10:00Z'))
      await tw.enqueue('work', { fail: true })
      await until(async () => (await tw.runs.counts('work')).failed === 1)

      const r = await srv.req('GET', '/api/activity?hours=3&buckets=3', { token: READ })
      expect(r.status).toBe(200)
      // the last bucket holds now; buckets start on the hour
      expect(r.json.from).toBe('2026-01-01T09:00:00.000Z')
      expect(r.json.to).toBe('2026-01-01T12:00:00.000Z')
      expect(r.json.bucketMs).toBe(3_600_000)
      const work = r.json.jobs.find((j: { job: string }) => j.job === 'work')
      expect(work.buckets.map((b: { at: string }) => b.at)).toEqual([
        '2026-01-01T09:00:00.000Z',
        '2026-01-01T10:00:00.000Z',
        '2026-01-01T11:00:00.000Z',
      ])
      expect(work.buckets[0]).toMatchObject({ completed: 2, failed: 0, cancelled: 0 })
      expect(work.buckets[0].meanMs).toBeGreaterThanOrEqual(250)
      expect(work.buckets[0].maxMs).toBeGreaterThanOrEqual(work.buckets[0].meanMs)
      expect(work.buckets[1]).toEqual({
        at: '2026-01-01T10:00:00.000Z',
        completed: 0,
        failed: 0,
        cancelled: 0,
        meanMs: null,
        maxMs: null,
      })
      expect(work.buckets[2]).toMatchObject({ completed: 0, failed: 1, meanMs: null })

      const one = await srv.req('GET', '/api/activity?job=idle&hours=1&buckets=4', { token: READ })
      expect(one.json.jobs).toHaveLength(1)
      expect(one.json.jobs[0].buckets).toHaveLength(4)
      expect(one.json.bucketMs).toBe(900_000)

      for (const q of ['hours=0', 'hours=721', 'buckets=241', 'buckets=x', 'since=1']) {
        const bad = await srv.req('GET', `/api/activity?${q}`, { token: READ })
        expect(bad.status, q).toBe(400)
        expect(JSON.stringify(bad.json.error.details), q).toMatch(/"path":"query/)
      }
    })
  })

  describe('GET /api/jobs/:job/ticks', () => {
    it('lists ticks newest first by outcome, pages with next, and counts the last 24 h', async () => {
      const clock = manualClock(Date.parse('2026-01-01T00:30:00Z'))
      const tw = mk({ clock, leaseTime: '1d' })
      const held = gate()
      tw.job('minutely', { schedule: '* * * * *', run: () => held.promise })
      tw.job('hourly', { schedule: '0 * * * *', run: () => {} })
      let skipped = 0
      tw.on('schedule:skipped', () => skipped++)
      let missed = false
      tw.on('schedule:missed', () => {
        missed = true
      })
      await tw.start()
      const srv = await startServer(tw)
      clock.set(Date.parse('2026-01-01T00:31:00.010Z'))
      await until(async () => (await tw.runs.counts('minutely')).active === 1)
      // the 00:31 run is still going: the next two ticks are skipped
      clock.set(Date.parse('2026-01-01T00:32:00.010Z'))
      await until(() => skipped === 1)
      clock.set(Date.parse('2026-01-01T00:33:00.010Z'))
      await until(() => skipped === 2)
      await tw.pause('minutely')
      held.open()
      clock.set(Date.parse('2026-01-01T03:00:10Z'))
      await until(() => missed)

      const all = await srv.req('GET', '/api/jobs/minutely/ticks', { token: READ })
      expect(all.status).toBe(200)
      expect(all.json.ticks.map((t: { at: string; outcome: string }) => [t.at, t.outcome])).toEqual(
        [
          ['2026-01-01T00:33:00.000Z', 'skipped'],
          ['2026-01-01T00:32:00.000Z', 'skipped'],
          ['2026-01-01T00:31:00.000Z', 'run'],
        ],
      )
      expect(all.json.ticks[2].runId).toMatch(/^\d+$/)
      expect(all.json.ticks[0]).toMatchObject({ runId: null, source: 'schedule' })
      expect(all.json.counts).toEqual({ run: 1, skipped: 2, queued: 0, missed: 0 })
      expect(all.json.next).toBeUndefined()

      const page = await srv.req('GET', '/api/jobs/minutely/ticks?outcome=skipped&limit=1', {
        token: READ,
      })
      expect(page.json.ticks.map((t: { at: string }) => t.at)).toEqual(['2026-01-01T00:33:00.000Z'])
      const rest = await srv.req(
        'GET',
        `/api/jobs/minutely/ticks?outcome=skipped&limit=1&before=${page.json.next}`,
        { token: READ },
      )
      expect(rest.json.ticks.map((t: { at: string }) => t.at)).toEqual(['2026-01-01T00:32:00.000Z'])
      // a last page as long as the limit says so: no next that leads nowhere
      expect(rest.json.next).toBeUndefined()

      // 01:00 and 02:00 were missed in the downtime; 03:00, the latest, ran
      const hourly = await srv.req('GET', '/api/jobs/hourly/ticks?outcome=missed', { token: READ })
      expect(hourly.json.ticks.map((t: { at: string }) => t.at)).toEqual([
        '2026-01-01T02:00:00.000Z',
        '2026-01-01T01:00:00.000Z',
      ])
      expect(hourly.json.counts.missed).toBe(2)

      for (const q of ['outcome=lost', 'limit=0', 'before=yesterday']) {
        const bad = await srv.req('GET', `/api/jobs/minutely/ticks?${q}`, { token: READ })
        expect(bad.status, q).toBe(400)
      }
    })
  })

  describe('POST /api/jobs/:job/validate', () => {
    it("checks a payload against the job's schema and enqueues nothing", async () => {
      const tw = mk()
      tw.job('mail', {
        payload: z.object({ email: z.email(), count: z.number().int() }),
        run: () => {},
      })
      tw.job('free', { run: () => {} })
      const srv = await startServer(tw)
      const check = (job: string, payload: unknown) =>
        srv.req('POST', `/api/jobs/${job}/validate`, { token: READ, body: { payload } })

      const bad = await check('mail', { email: 'nope', count: 1.5 })
      expect(bad.status).toBe(200)
      expect(bad.json.valid).toBe(false)
      expect(bad.json.issues.map((i: { path: string }) => i.path).sort()).toEqual([
        'count',
        'email',
      ])
      expect((await check('mail', { email: 'a@b.co', count: 2 })).json).toEqual({
        valid: true,
        issues: [],
      })
      expect((await check('free', { anything: [1] })).json.valid).toBe(true)
      expect((await check('free', { text: 'a\u0000b' })).json.valid).toBe(false)
      expect((await check('ghost', {})).status).toBe(404)
      expect(await tw.runs.counts()).toMatchObject({ waiting: 0, completed: 0 })
    })
  })

  describe('GET /api/jobs/:job/schedule/next with cron or timezone', () => {
    it('previews a change without saving it, and names a bad one as the query', async () => {
      const tw = mk({ clock: manualClock(T0) })
      tw.job('report', { schedule: '0 3 * * *', run: () => {} })
      await tw.start({ worker: false })
      const srv = await startServer(tw)
      const next = (q: string) =>
        srv.req('GET', `/api/jobs/report/schedule/next?${q}`, { token: READ })

      expect((await next('n=2&cron=30 12 * * *')).json.next).toEqual([
        '2026-01-01T12:30:00.000Z',
        '2026-01-02T12:30:00.000Z',
      ])
      // the declared cron in another zone: 03:00 in New York is 08:00 UTC in winter
      expect((await next('n=1&timezone=America/New_York')).json.next).toEqual([
        '2026-01-02T08:00:00.000Z',
      ])
      const bad = await next(`cron=${encodeURIComponent('61 * * * *')}`)
      expect(bad.status).toBe(400)
      expect(bad.json.error.details.issues[0].path).toBe('query.cron')
      const zone = await next('timezone=Mars/Olympus')
      expect(zone.json.error.details.issues[0].path).toBe('query.timezone')
      // nothing was saved
      expect((await next('n=1')).json.next).toEqual(['2026-01-02T03:00:00.000Z'])
      expect((await tw.schedules.get('report')).cron).toBe('0 3 * * *')
    })
  })

  describe('GET /api/backfills', () => {
    it('lists the newest backfills with their progress, of one job or all', async () => {
      const tw = mk({ clock: manualClock(T0) })
      tw.job('daily', { schedule: '0 0 * * *', run: () => {} })
      tw.job('hourly', { schedule: '0 * * * *', run: () => {} })
      const srv = await startServer(tw)
      const start = (job: string, from: string) =>
        srv.req('POST', `/api/jobs/${job}/backfill`, {
          token: ADMIN,
          body: { from, to: '2026-01-01T00:00:00Z' },
        })
      const a = await start('daily', '2025-12-01T00:00:00Z')
      const b = await start('hourly', '2025-12-31T00:00:00Z')
      expect([a.status, b.status]).toEqual([202, 202])

      const all = await srv.req('GET', '/api/backfills', { token: READ })
      expect(all.json.backfills.map((x: { id: string }) => x.id)).toEqual([b.json.id, a.json.id])
      const daily = await srv.req('GET', '/api/backfills?job=daily', { token: READ })
      expect(daily.json.backfills).toHaveLength(1)
      expect(daily.json.backfills[0]).toMatchObject({ job: 'daily', total: 31, state: 'running' })
      const none = await srv.req('GET', '/api/backfills?job=other&limit=5', { token: READ })
      expect(none.json.backfills).toEqual([])
      expect((await srv.req('GET', '/api/backfills?limit=0', { token: READ })).status).toBe(400)
    })
  })

  describe('GET /api/runs?summary=true and the item counts', () => {
    it('lists runs without payload, result, progress and stacks; counts every item of a run', async () => {
      const tw = mk()
      tw.job('heavy', {
        retry: { attempts: 1 },
        run: async ({ items, payload }) => {
          await items.each(
            Array.from({ length: 30 }, (_, i) => `k${i}`),
            {},
            (k) => {
              if (Number(k.slice(1)) % 10 === 0) throw new Error(`bad ${k}`)
            },
          )
          if ((payload as { fail?: boolean }).fail) throw new PermanentError('no')
          return { big: 'r'.repeat(1000) }
        },
      })
      await tw.start()
      const srv = await startServer(tw)
      const ok = await tw.enqueue('heavy', { blob: 'x'.repeat(100_000) })
      const bad = await tw.enqueue('heavy', { fail: true })
      await until(async () => (await tw.runs.counts('heavy')).failed === 1)
      await until(async () => (await tw.runs.counts('heavy')).completed === 1)

      const full = await srv.req('GET', '/api/runs?job=heavy', { token: READ })
      const brief = await srv.req('GET', '/api/runs?job=heavy&summary=true', { token: READ })
      expect(brief.status).toBe(200)
      expect(brief.text.length).toBeLessThan(full.text.length / 50)
      const [failed, done] = brief.json.runs
      expect([failed.id, done.id]).toEqual([bad.id, ok.id])
      expect(done).toMatchObject({
        state: 'completed',
        payload: null,
        result: null,
        progress: null,
      })
      expect(failed.errors).toEqual([
        { attempt: 1, name: 'PermanentError', message: 'no', at: expect.any(String) },
      ])
      expect(full.json.runs[0].errors[0].stack).toMatch(/PermanentError: no/)
      const { payload: _p, result: _r, progress: _g, errors: _e, ...rest } = full.json.runs[1]
      expect(done).toMatchObject(rest)

      const items = await srv.req('GET', `/api/runs/${ok.id}/items?ok=false&limit=2`, {
        token: READ,
      })
      expect(items.json.items).toHaveLength(2)
      expect(items.json.counts).toEqual({ ok: 27, failed: 3 })
      expect((await srv.req('GET', '/api/runs?summary=maybe', { token: READ })).status).toBe(400)
    })
  })

  describe('POST /api/jobs/:job/backfill without a payload', () => {
    it("runs each tick with none, as the schedule does, even when the job's schema wants one", async () => {
      const tw = mk({ clock: manualClock(T0) })
      tw.job('typed', {
        schedule: '0 0 * * *',
        payload: z.object({ day: z.string() }),
        run: () => {},
      })
      const srv = await startServer(tw)
      const range = { from: '2025-12-30T00:00:00Z', to: '2026-01-01T00:00:00Z' }
      const none = await srv.req('POST', '/api/jobs/typed/backfill', { token: ADMIN, body: range })
      expect(none.status).toBe(202)
      expect(none.json).toMatchObject({ total: 2, enqueued: 2 })
      const runs = (await tw.runs.list({ job: 'typed' })).runs
      expect(runs.map((r) => r.payload)).toEqual([null, null])
      const bad = await srv.req('POST', '/api/jobs/typed/backfill', {
        token: ADMIN,
        body: { ...range, payload: { day: 1 } },
      })
      expect(bad.status).toBe(400)
      expect(bad.json.error.details.issues[0].path).toBe('payload.day')
    })
  })
})

describe('the dashboard page', () => {
  it('serves the built page and its assets with a strict policy, without a token', async () => {
    const srv = await startServer(makeTickwork())
    const page = await srv.req('GET', '/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    const scripts = [...page.text.matchAll(/src="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1])
    expect(scripts.length).toBeGreaterThan(0)
    for (const path of scripts) {
      const asset = await srv.req('GET', `/${path}`)
      expect(asset.status).toBe(200)
      expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/)
      expect(asset.headers.get('cache-control')).toContain('immutable')
    }
    expect((await srv.req('GET', '/assets/missing.js')).status).toBe(404)
    expect((await srv.req('GET', '/assets/..%2Fpackage.json')).status).toBe(404)
  })

  it('is not served with dashboard: false', async () => {
    const tw = makeTickwork()
    const srv = await startServer(tw, { ...defaultOptions(tw), dashboard: false })
    expect((await srv.req('GET', '/')).status).toBe(404)
    expect((await srv.req('GET', '/api/session', { token: ADMIN })).status).toBe(200)
  })
})
