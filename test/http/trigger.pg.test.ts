import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { makeTickwork, manualClock, until } from '../helpers.js'
import { heldBy, reachable, redisUrl } from '../util.js'
import { defaultOptions, gate, type Reply, SECRET, type Server, startServer } from './server.js'

const REDIS = redisUrl

const redisUp = await reachable(REDIS)
if (!redisUp)
  console.warn(`http trigger: no Redis at ${REDIS}: the Redis lock backend test is SKIPPED`)

const cron = { 'x-cron-secret': SECRET }
const fire = (srv: Server, job: string, method = 'POST', query = '') =>
  srv.req(method, `/trigger/${job}${query}`, { headers: cron })

/** The 202 and the 429s of a batch of concurrent triggers. */
function split(replies: Reply[]) {
  return {
    accepted: replies.filter((r) => r.status === 202),
    locked: replies.filter((r) => r.status === 429),
    other: replies.filter((r) => r.status !== 202 && r.status !== 429),
  }
}

function expectLocked(r: Reply, job: string, holder: string): number {
  expect(r.status).toBe(429)
  expect(r.json.error).toMatchObject({
    code: 'LOCKED',
    details: { name: `job-lock:${job}`, owner: expect.stringMatching(heldBy(holder)) },
  })
  const retryAfter = r.headers.get('retry-after')
  expect(retryAfter).toMatch(/^[1-9]\d*$/)
  return Number(retryAfter)
}

describe('/trigger/:job under the job lock', () => {
  it('two at once: one 202, one 429 with Retry-After; status shows the holder; freed when the run ends', async () => {
    const tw = makeTickwork()
    const g = gate()
    tw.job('report', { run: () => g.promise.then(() => 'done') })
    await tw.start()
    const srv = await startServer(tw)

    const { accepted, locked, other } = split(
      await Promise.all([fire(srv, 'report'), fire(srv, 'report')]),
    )
    expect(other).toEqual([])
    expect(accepted).toHaveLength(1)
    expect(locked).toHaveLength(1)
    const id = accepted[0]?.json.id as string
    expect(accepted[0]?.json).toEqual({ id, job: 'report', status: 'started' })
    const retryAfter = expectLocked(locked[0] as Reply, 'report', id)
    // the default ttl: an hour, less the moments since the lock was taken
    expect(retryAfter).toBeGreaterThan(3590)
    expect(retryAfter).toBeLessThanOrEqual(3600)

    const status = await srv.req('GET', '/trigger/report/status', { headers: cron })
    expect(status.status).toBe(200)
    expect(status.json).toMatchObject({
      job: 'report',
      running: true,
      lock: { name: 'job-lock:report', owner: expect.stringMatching(heldBy(id)) },
      lastRun: null,
    })
    await until(async () => (await tw.runs.get(id))?.state === 'active')
    g.open()
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    await until(async () => (await tw.lock.get('job-lock:report')) === undefined)
    const after = await srv.req('GET', '/trigger/report/status', { headers: cron })
    expect(after.json).toMatchObject({
      job: 'report',
      running: false,
      lock: null,
      lastRun: { id, state: 'completed' },
    })
    const next = await fire(srv, 'report')
    expect(next.status).toBe(202)
    expect(next.json.id).not.toBe(id)
    expect((await tw.runs.get(id))?.source).toBe('trigger')
  })

  it('HEAD /trigger/:job starts nothing: 405', async () => {
    const tw = makeTickwork()
    tw.job('probe', { run: () => {} })
    const srv = await startServer(tw)
    const r = await srv.req('HEAD', '/trigger/probe', { headers: { 'x-cron-secret': SECRET } })
    expect(r.status).toBe(405)
    expect((await tw.runs.list({ job: 'probe' })).runs).toEqual([])
  })

  it('/readyz on an unreachable database: 503 with a fixed reason, not the driver message', async () => {
    const tw = makeTickwork(
      { database: 'postgres://nobody:pw@127.0.0.1:1/none' },
      { allowErrors: true },
    )
    const srv = await startServer(tw)
    const r = await srv.req('GET', '/readyz')
    expect(r.status).toBe(503)
    expect(r.json).toMatchObject({ ready: false, error: 'database unreachable' })
    expect(r.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|nobody/)
  })

  it('GET /trigger/:job, as Vercel cron calls it: 202', async () => {
    const tw = makeTickwork()
    tw.job('vercel', { run: () => {} })
    const srv = await startServer(tw)
    const r = await srv.req('GET', '/trigger/vercel', { token: SECRET })
    expect(r.status).toBe(202)
    expect(r.json).toEqual({ id: expect.any(String), job: 'vercel', status: 'started' })
    expect(await tw.runs.get(r.json.id)).toMatchObject({ job: 'vercel', source: 'trigger' })
    // the same lock as POST
    expectLocked(await fire(srv, 'vercel'), 'vercel', r.json.id)
  })

  it('?wait=1: 200 with the completed run; a failed run: 500 with the run and its error', async () => {
    const tw = makeTickwork()
    tw.job('adds', {
      run: ({ payload }) => ({ sum: (payload as number[]).reduce((a, b) => a + b) }),
    })
    tw.job('breaks', {
      retry: { attempts: 1 },
      run: () => {
        throw new Error('the chain is down')
      },
    })
    // no worker started: the run executes inline, in the request
    const srv = await startServer(tw)
    const ok = await srv.req('POST', '/trigger/adds?wait=1', { headers: cron, body: [1, 2, 3] })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({
      id: ok.json.run.id,
      job: 'adds',
      status: 'completed',
      run: { job: 'adds', state: 'completed', payload: [1, 2, 3], result: { sum: 6 }, attempt: 1 },
    })
    expect(await tw.lock.get('job-lock:adds')).toBeUndefined()
    const again = await srv.req('GET', '/trigger/adds?wait=true', { headers: cron })
    expect(again.status).toBe(500)
    expect(again.json.run.errors[0].name).toBe('TypeError')

    const bad = await srv.req('POST', '/trigger/breaks?wait=1', { headers: cron })
    expect(bad.status).toBe(500)
    expect(bad.json).toMatchObject({
      job: 'breaks',
      status: 'failed',
      run: {
        state: 'failed',
        errors: [{ attempt: 1, name: 'Error', message: 'the chain is down' }],
      },
    })
    // the lock is freed for a failed run too
    await until(async () => (await tw.lock.get('job-lock:breaks')) === undefined)
    expect((await fire(srv, 'breaks', 'POST', '?wait=0')).status).toBe(202)
  })

  it('a lock whose lease expired is taken over (ttl 1m, manual clock)', async () => {
    const clock = manualClock()
    const tw = makeTickwork({ clock })
    tw.job('stuck', { run: () => {} })
    // no worker: the first run never ends, so only its lease frees the lock
    const srv = await startServer(tw, { ...defaultOptions(tw), triggerLockTtl: '1m' })
    const first = await fire(srv, 'stuck')
    expect(first.status).toBe(202)
    expect(expectLocked(await fire(srv, 'stuck'), 'stuck', first.json.id)).toBe(60)
    clock.advance(30_000)
    expect(expectLocked(await fire(srv, 'stuck'), 'stuck', first.json.id)).toBe(30)
    clock.advance(29_500)
    // half a second left: rounded up, never 0
    expect(expectLocked(await fire(srv, 'stuck'), 'stuck', first.json.id)).toBe(1)
    clock.advance(501)
    const third = await fire(srv, 'stuck')
    expect(third.status).toBe(202)
    expect((await tw.lock.get('job-lock:stuck'))?.owner).toMatch(heldBy(third.json.id))
    // the refused ones left no run behind
    const { runs } = await tw.runs.list({ job: 'stuck' })
    expect(runs.map((r) => r.id)).toEqual([third.json.id, first.json.id])
  })

  it('ten at once: one 202, nine 429, one run in the database', async () => {
    const tw = makeTickwork()
    tw.job('crowd', { run: () => {} })
    const srv = await startServer(tw)
    const replies = await Promise.all(Array.from({ length: 10 }, () => fire(srv, 'crowd')))
    const { accepted, locked, other } = split(replies)
    expect(other.map((r) => `${r.status} ${r.text}`)).toEqual([])
    expect(accepted).toHaveLength(1)
    expect(locked).toHaveLength(9)
    const id = accepted[0]?.json.id as string
    for (const r of locked) expectLocked(r, 'crowd', id)
    const { runs } = await tw.runs.list({ job: 'crowd' })
    expect(runs.map((r) => r.id)).toEqual([id])
  })

  it.skipIf(!redisUp)(
    'the Redis lock backend: one 202, one 429; DEL job-lock:<job> frees it mid-run',
    async () => {
      const job = `redis-${process.pid}-${Date.now().toString(36)}`
      const key = `job-lock:${job}`
      const redis = new Redis(REDIS, { maxRetriesPerRequest: 1 })
      try {
        const tw = makeTickwork({ locks: { redis: REDIS } })
        const g = gate()
        const g2 = gate()
        // concurrency 1: the second run starts once the first ended
        tw.job(job, { run: ({ payload }) => (payload === 'second' ? g2.promise : g.promise) })
        await tw.start()
        const srv = await startServer(tw)
        const { accepted, locked, other } = split(
          await Promise.all([fire(srv, job), fire(srv, job)]),
        )
        expect(other).toEqual([])
        expect(accepted).toHaveLength(1)
        expect(locked).toHaveLength(1)
        const id = accepted[0]?.json.id as string
        const retryAfter = expectLocked(locked[0] as Reply, job, id)
        expect(retryAfter).toBeGreaterThan(3590)
        expect(retryAfter).toBeLessThanOrEqual(3600)
        expect(await redis.get(key)).toMatch(heldBy(id))
        await until(async () => (await tw.runs.get(id))?.state === 'active')

        // the legacy runbook: redis-cli DEL job-lock:<job>
        expect(await redis.del(key)).toBe(1)
        const next = await srv.req('POST', `/trigger/${job}`, { headers: cron, body: 'second' })
        expect(next.status).toBe(202)
        expect(await redis.get(key)).toMatch(heldBy(next.json.id))
        expect((await tw.runs.get(id))?.state).toBe('active')
        // the first run ending does not free the lock the second holds
        g.open()
        await until(async () => (await tw.runs.get(id))?.state === 'completed')
        await until(async () => (await tw.runs.get(next.json.id))?.state === 'active')
        expect(await redis.get(key)).toMatch(heldBy(next.json.id))
        expectLocked(await fire(srv, job), job, next.json.id)
        g2.open()
        await until(async () => (await tw.runs.get(next.json.id))?.state === 'completed')
        await until(async () => (await redis.get(key)) === null)
        expect((await fire(srv, job)).status).toBe(202)
      } finally {
        await redis.del(key)
        await redis.srem('tickwork:locks', key)
        redis.disconnect()
      }
    },
  )
})
