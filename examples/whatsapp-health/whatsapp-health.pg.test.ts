import { createApp, NotFoundError, ValidationError } from 'tickwork'
import { afterEach, describe, expect, it } from 'vitest'
import { freshSchema, makeTickwork, manualClock, pgClient, until } from '../../test/helpers.js'
import { installWhatsappHealth, type WhatsappHealthOptions } from './app.js'
import { startWhatsappHealthDemo } from './demo.js'
import { whatsappHealthOptionsFromEnv } from './env.js'
import { type FakeMeta, startFakeMeta } from './fake-meta.js'
import { type FakeReceiver, startFakeReceiver } from './fake-receiver.js'
import { HEALTH_JOB } from './health.js'
import { DELIVERY_JOB } from './webhooks.js'

const DAY = 86_400_000
const MIN = 60_000
const T0 = Date.parse('2026-03-10T01:59:00Z')
const SECRET = 'cron-secret-0123456789abcdef'
const LOCK = `job-lock:${HEALTH_JOB}`

const db = await pgClient()
const fakes: Array<FakeMeta | FakeReceiver> = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
})

/** The app on a fresh schema with a manual clock at T0, its fakes, and five connections. */
async function setup(options: Partial<WhatsappHealthOptions> = {}, { allowErrors = false } = {}) {
  const clock = manualClock(T0)
  const twSchema = freshSchema()
  const tw = makeTickwork({ clock, schema: twSchema }, { allowErrors })
  const meta = await startFakeMeta()
  const receiver = await startFakeReceiver()
  fakes.push(meta, receiver)
  const app = await installWhatsappHealth(tw, {
    schema: freshSchema(),
    metaApiUrl: meta.url,
    webhookTargetUrl: receiver.endpoint,
    ...options,
  })
  const tokens = {
    'conn-valid': { valid: true },
    'conn-expiring': { valid: true, expiresAt: new Date(T0 + 3 * DAY) },
    'conn-expired': { valid: true, expiresAt: new Date(T0 - DAY) },
    'conn-revoked': { valid: false },
  }
  for (const [i, [id, info]] of Object.entries(tokens).entries()) {
    meta.setToken(`tok-${id}`, info)
    await app.addConnection({ id, wabaId: `waba-${i}`, accessToken: `tok-${id}` })
  }
  meta.setToken('tok-conn-inactive', { valid: true })
  await app.addConnection({
    id: 'conn-inactive',
    wabaId: 'waba-9',
    accessToken: 'tok-conn-inactive',
    active: false,
  })
  return { clock, tw, twSchema, meta, receiver, app }
}

type Setup = Awaited<ReturnType<typeof setup>>

const statuses = async (app: Setup['app']) =>
  Object.fromEntries((await app.connections()).map((c) => [c.id, c.healthStatus]))

// what one check makes of the connections `setup` and the demo both seed: the inactive one is skipped
const FIRST_CHECK = {
  'conn-expired': 'error',
  'conn-expiring': 'warning',
  'conn-inactive': null,
  'conn-revoked': 'error',
  'conn-valid': 'healthy',
}

const completed = async (tw: Setup['tw'], job: string, n: number) =>
  (await tw.runs.counts(job)).completed === n

describe('whatsapp-health-check on its schedule', () => {
  it('runs once at 02:00 UTC: one record per active connection, statuses by the rule; the next day appends', async () => {
    const { clock, tw, meta, app } = await setup()
    await tw.start()
    await new Promise((r) => setTimeout(r, 300))
    expect((await tw.runs.list({ job: HEALTH_JOB })).runs).toEqual([])

    clock.set(Date.parse('2026-03-10T02:00:01Z'))
    await until(() => completed(tw, HEALTH_JOB, 1))
    // a few more scheduler passes: the tick made one run, not one per pass
    await new Promise((r) => setTimeout(r, 300))
    const [run] = (await tw.runs.list({ job: HEALTH_JOB })).runs
    expect((await tw.runs.list({ job: HEALTH_JOB })).runs).toHaveLength(1)
    expect(run).toMatchObject({ source: 'schedule', state: 'completed' })
    expect(run?.result).toMatchObject({ total: 4, ok: 4, failed: 0 })
    expect(meta.calls.sort()).toEqual([
      'tok-conn-expired',
      'tok-conn-expiring',
      'tok-conn-revoked',
      'tok-conn-valid',
    ])

    const day1 = await app.healthRecords()
    expect(day1.map((r) => [r.connectionId, r.status, r.reason, r.checkRun])).toEqual([
      ['conn-expired', 'error', 'token_expired', run?.id],
      ['conn-expiring', 'warning', 'token_expiring: in 3 day(s)', run?.id],
      ['conn-revoked', 'error', expect.stringMatching(/^token_invalid: /), run?.id],
      ['conn-valid', 'healthy', 'ok', run?.id],
    ])
    expect(day1.every((r) => r.verified && r.httpStatus === 200)).toBe(true)
    expect(await statuses(app)).toEqual(FIRST_CHECK)
    const items = await tw.items.list({ run: run?.id as string })
    expect(items.map((i) => [i.key, i.ok]).sort()).toEqual([
      ['conn-expired', true],
      ['conn-expiring', true],
      ['conn-revoked', true],
      ['conn-valid', true],
    ])

    // the expiring token is renewed overnight; the revoked connection is switched off
    meta.setToken('tok-conn-expiring', { valid: true, expiresAt: new Date(T0 + 60 * DAY) })
    await db.query(`UPDATE "${app.schema}".connections SET active = false WHERE id = $1`, [
      'conn-revoked',
    ])
    clock.set(Date.parse('2026-03-11T02:00:01Z'))
    await until(() => completed(tw, HEALTH_JOB, 2))
    const all = await app.healthRecords()
    expect(all).toHaveLength(7)
    expect(all.slice(0, 4)).toEqual(day1)
    expect((await app.healthRecords('conn-expiring')).map((r) => r.status)).toEqual([
      'warning',
      'healthy',
    ])
    expect((await app.healthRecords('conn-revoked')).map((r) => r.status)).toEqual(['error'])
    const connections = await app.connections()
    expect(connections.find((c) => c.id === 'conn-expiring')).toMatchObject({
      healthStatus: 'healthy',
      lastHealthCheckAt: new Date('2026-03-11T02:00:01Z'),
      tokenExpiresAt: new Date(T0 + 60 * DAY),
    })

    // the audit trail refuses to be rewritten, whoever tries
    await expect(
      db.query(`UPDATE "${app.schema}".health_records SET status = 'healthy'`),
    ).rejects.toThrow(/audit trail/)
    await expect(db.query(`DELETE FROM "${app.schema}".health_records`)).rejects.toThrow(
      /audit trail/,
    )
  })

  it('Meta 5xx for one connection: its item fails, it turns warning unverified (error stays error); a slow Meta is warning', async () => {
    // a threshold no local answer nears even on a loaded machine; the slow answer's sleep
    // is past it by itself, since the measured time includes it
    const slowMs = 800
    const { clock, tw, meta, app } = await setup({ slowMs })
    // clear of 02:00: only the triggers run
    clock.set(T0 + 3 * 3_600_000)
    await tw.start()
    const first = await tw.trigger(HEALTH_JOB)
    await until(() => completed(tw, HEALTH_JOB, 1))
    // each check a minute after the last: the audit trail is read in time order
    clock.advance(MIN)

    meta.fail(503, 'tok-conn-valid')
    meta.fail(500, 'tok-conn-expired')
    const second = await tw.trigger(HEALTH_JOB)
    await until(() => completed(tw, HEALTH_JOB, 2))
    const run = await tw.runs.get(second.id)
    expect(run?.result).toMatchObject({ total: 4, ok: 2, failed: 2 })
    const failed = await tw.items.list({ run: second.id, ok: false })
    expect(failed.map((i) => [i.key, i.error?.message]).sort()).toEqual([
      ['conn-expired', 'meta_unavailable: HTTP 500'],
      ['conn-valid', 'meta_unavailable: HTTP 503'],
    ])
    const records = (await app.healthRecords()).filter((r) => r.checkRun === second.id)
    expect(records.map((r) => [r.connectionId, r.status, r.verified, r.httpStatus])).toEqual([
      ['conn-expired', 'error', false, 500],
      ['conn-expiring', 'warning', true, 200],
      ['conn-revoked', 'error', true, 200],
      ['conn-valid', 'warning', false, 503],
    ])
    expect(await statuses(app)).toMatchObject({ 'conn-valid': 'warning', 'conn-expired': 'error' })
    // the token it last verified is kept, not erased by the unverified check
    const expired = (await app.connections()).find((c) => c.id === 'conn-expired')
    expect(expired?.tokenExpiresAt).toEqual(new Date(T0 - DAY))

    meta.heal()
    meta.latencyMs = slowMs + 100
    clock.advance(MIN)
    const third = await tw.trigger(HEALTH_JOB)
    await until(() => completed(tw, HEALTH_JOB, 3))
    const valid = (await app.healthRecords('conn-valid')).map((r) => [r.checkRun, r.status])
    expect(valid).toEqual([
      [first.id, 'healthy'],
      [second.id, 'warning'],
      [third.id, 'warning'],
    ])
    expect((await app.connections()).find((c) => c.id === 'conn-valid')?.healthReason).toMatch(
      /^meta_slow: \d+ ms$/,
    )

    // a check that ends after a newer one adds its record, not its status
    await db.query(
      `UPDATE "${app.schema}".connections SET last_health_check_at = $2 WHERE id = $1`,
      ['conn-valid', new Date(clock.now() + DAY)],
    )
    meta.latencyMs = 0
    meta.setToken('tok-conn-valid', { valid: false })
    clock.advance(MIN)
    await tw.trigger(HEALTH_JOB)
    await until(() => completed(tw, HEALTH_JOB, 4))
    expect((await app.healthRecords('conn-valid')).at(-1)?.status).toBe('error')
    expect((await app.connections()).find((c) => c.id === 'conn-valid')).toMatchObject({
      healthStatus: 'warning',
      healthReason: expect.stringMatching(/^meta_slow/),
    })
  })
})

describe('the external cron: POST /trigger/whatsapp-health-check', () => {
  const path = `/trigger/${HEALTH_JOB}`

  it('401 on a wrong secret and nothing runs; 202; 429 with Retry-After while it runs; status', async () => {
    const { tw, meta, app } = await setup()
    await tw.start()
    const http = createApp(tw, { cronSecret: SECRET, dashboard: false })

    for (const headers of [{ 'x-cron-secret': 'not-the-secret-at-all' }, {}] as Record<
      string,
      string
    >[]) {
      const r = await http.request(path, { method: 'POST', headers })
      expect(r.status).toBe(401)
    }
    const bearerWrong = await http.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}x` },
    })
    expect(bearerWrong.status).toBe(401)
    expect((await http.request(`${path}/status`)).status).toBe(401)
    await new Promise((r) => setTimeout(r, 200))
    expect((await tw.runs.list({ job: HEALTH_JOB })).runs).toEqual([])
    expect(meta.calls).toEqual([])

    const release = meta.hold()
    const ok = await http.request(path, { method: 'POST', headers: { 'x-cron-secret': SECRET } })
    expect(ok.status).toBe(202)
    const { id } = (await ok.json()) as { id: string }
    await until(() => meta.calls.length > 0)

    const again = await http.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}` },
    })
    expect(again.status).toBe(429)
    const retryAfter = Number(again.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(3590)
    expect(retryAfter).toBeLessThanOrEqual(3600)
    const running = await http.request(`${path}/status`, { headers: { 'x-cron-secret': SECRET } })
    expect(await running.json()).toMatchObject({
      running: true,
      lock: { name: LOCK, owner: expect.stringContaining(`:run:${id}`) },
    })

    release()
    await until(async () => (await tw.runs.get(id))?.state === 'completed')
    await until(async () => (await tw.lock.get(LOCK)) === undefined)
    const done = await http.request(`${path}/status`, { headers: { 'x-cron-secret': SECRET } })
    expect(await done.json()).toMatchObject({
      running: false,
      lock: null,
      lastRun: { id, state: 'completed' },
    })
    expect((await tw.runs.list({ job: HEALTH_JOB })).runs).toHaveLength(1)
    expect((await app.healthRecords()).map((r) => r.checkRun)).toEqual([id, id, id, id])
  })

  it('a trigger during the scheduled 02:00 check is 429, with the scheduled run named', async () => {
    const { clock, tw, twSchema, meta, app } = await setup()
    await tw.start()
    const http = createApp(tw, { cronSecret: SECRET, dashboard: false })
    const release = meta.hold()
    clock.set(Date.parse('2026-03-10T02:00:01Z'))
    await until(() => meta.calls.length > 0)
    const [scheduled] = (await tw.runs.list({ job: HEALTH_JOB })).runs
    // tickwork refuses the trigger itself: the scheduled check holds no lock
    expect(await tw.lock.get(LOCK)).toBeUndefined()
    const r = await http.request(path, { method: 'POST', headers: { 'x-cron-secret': SECRET } })
    expect(r.status).toBe(429)
    expect(r.headers.get('retry-after')).toBe('3600')
    expect(
      ((await r.json()) as { error: { details: { owner: string } } }).error.details.owner,
    ).toBe(`tickwork:${twSchema}:run:${scheduled?.id}`)
    release()
    await until(() => completed(tw, HEALTH_JOB, 1))
    expect((await tw.runs.list({ job: HEALTH_JOB })).runs).toHaveLength(1)
    const next = await http.request(path, { method: 'POST', headers: { 'x-cron-secret': SECRET } })
    expect(next.status).toBe(202)
    await until(() => completed(tw, HEALTH_JOB, 2))
    expect(await app.healthRecords()).toHaveLength(8)
  })

  it('the 02:00 tick during a triggered check is skipped: one check at a time', async () => {
    const { clock, tw, meta, app } = await setup()
    await tw.start()
    const http = createApp(tw, { cronSecret: SECRET, dashboard: false })
    const release = meta.hold()
    const r = await http.request(path, { method: 'POST', headers: { 'x-cron-secret': SECRET } })
    expect(r.status).toBe(202)
    const { id } = (await r.json()) as { id: string }
    await until(() => meta.calls.length === 4)

    clock.set(Date.parse('2026-03-10T02:00:01Z'))
    const skipped = async () => (await tw.schedules.ticks(HEALTH_JOB, { outcome: 'skipped' })).ticks
    await until(async () => (await skipped()).length === 1)
    expect(await skipped()).toMatchObject([{ at: new Date('2026-03-10T02:00:00Z'), runId: null }])
    release()
    await until(() => completed(tw, HEALTH_JOB, 1))
    await new Promise((r) => setTimeout(r, 300))
    expect((await tw.runs.list({ job: HEALTH_JOB })).runs).toMatchObject([
      { id, source: 'trigger', state: 'completed' },
    ])
    expect(meta.calls).toHaveLength(4)
    expect((await app.healthRecords()).map((h) => h.checkRun)).toEqual([id, id, id, id])
  })
})

describe('webhook deliveries', () => {
  it('retried after 5, 10, 20 min, then dead and recorded; an operator retries it; a retry that succeeds is delivered once', async () => {
    const { clock, tw, receiver, app } = await setup({
      webhookAttempts: 4,
      webhookRetryDelay: '5m',
    })
    receiver.fail(500, 1, 'evt-flaky')
    receiver.fail(503, Number.POSITIVE_INFINITY, 'evt-dead')
    receiver.fail(422, 1, 'evt-rejected')
    await tw.start()
    const event = (id: string) => ({
      id,
      connectionId: 'conn-valid',
      type: 'messages',
      body: { id },
    })
    const runs: Record<string, string> = {}
    for (const id of ['evt-ok', 'evt-flaky', 'evt-dead', 'evt-rejected']) {
      const r = await app.receiveWebhook(event(id))
      expect(r.created).toBe(true)
      runs[id] = r.runId as string
    }
    // Meta sends an event again: still one delivery
    expect(await app.receiveWebhook(event('evt-ok'))).toMatchObject({ created: false })
    await expect(
      app.receiveWebhook({ id: '', connectionId: 'c', type: 't', body: null }),
    ).rejects.toThrow(ValidationError)

    const delivery = async (id: string) => (await app.deliveries()).find((d) => d.id === id)
    const run = async (id: string) => tw.runs.get(runs[id] as string)
    const waitsUntil = async (id: string, at: number, attempt: number) => {
      await until(async () => (await run(id))?.errors.length === attempt - 1)
      expect(await run(id)).toMatchObject({ state: 'delayed', runAt: new Date(at) })
    }

    await until(async () => (await delivery('evt-ok'))?.status === 'delivered')
    await waitsUntil('evt-flaky', T0 + 5 * MIN, 2)
    await waitsUntil('evt-dead', T0 + 5 * MIN, 2)
    // a 4xx is the downstream's final word: no retry, dead at once
    await until(async () => (await app.deadDeliveries()).length === 1)
    expect(await app.deadDeliveries()).toMatchObject([
      { deliveryId: 'evt-rejected', attempts: 1, error: expect.stringMatching(/HTTP 422/) },
    ])

    clock.advance(4 * MIN)
    await new Promise((r) => setTimeout(r, 300))
    expect(receiver.requests.filter((id) => id === 'evt-flaky')).toHaveLength(1)
    clock.advance(MIN)
    await until(async () => (await delivery('evt-flaky'))?.status === 'delivered')
    expect(await delivery('evt-flaky')).toMatchObject({
      attempts: 2,
      deliveredAt: new Date(T0 + 5 * MIN),
    })
    await waitsUntil('evt-dead', T0 + 15 * MIN, 3)
    clock.advance(10 * MIN)
    await waitsUntil('evt-dead', T0 + 35 * MIN, 4)
    clock.advance(20 * MIN)
    await until(async () => (await app.deadDeliveries()).length === 2)
    expect((await run('evt-dead'))?.state).toBe('failed')
    const [, dead] = await app.deadDeliveries()
    expect(dead).toMatchObject({
      deliveryId: 'evt-dead',
      runId: runs['evt-dead'],
      attempts: 4,
      error: 'delivery failed: HTTP 503',
      deadAt: new Date(T0 + 35 * MIN),
      retriedAt: null,
    })
    expect(await delivery('evt-dead')).toMatchObject({ status: 'dead', attempts: 4 })

    // the operator, once the downstream is back
    receiver.heal()
    await app.retryDead('evt-dead')
    await until(async () => (await delivery('evt-dead'))?.status === 'delivered')
    expect((await app.deadDeliveries())[1]?.retriedAt).toEqual(new Date(T0 + 35 * MIN))
    await expect(app.retryDead('evt-dead')).rejects.toThrow(NotFoundError)

    expect([...receiver.accepted.keys()].sort()).toEqual(['evt-dead', 'evt-flaky', 'evt-ok'])
    expect((await app.deliveries()).map((d) => [d.id, d.status, d.attempts])).toEqual([
      ['evt-dead', 'delivered', 5],
      ['evt-flaky', 'delivered', 2],
      ['evt-ok', 'delivered', 1],
      ['evt-rejected', 'dead', 1],
    ])
    expect((await tw.runs.list({ job: DELIVERY_JOB })).runs).toHaveLength(4)
  })

  it('marks a delivery dead in the transaction that fails its run: refused, neither commits', async () => {
    const { tw, receiver, app } = await setup({}, { allowErrors: true })
    const q = `"${app.schema}"`
    // the database refuses to mark anything dead until the trigger is dropped
    await db.query(`
      CREATE FUNCTION ${q}.no_dead() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.status = 'dead' THEN RAISE EXCEPTION 'dead refused'; END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER no_dead BEFORE UPDATE ON ${q}.webhook_deliveries
        FOR EACH ROW EXECUTE FUNCTION ${q}.no_dead()`)
    const refused: string[] = []
    tw.on('error', (err) => refused.push(err.message))
    receiver.fail(410, 1, 'evt-gone')
    await tw.start()
    const { runId } = await app.receiveWebhook({
      id: 'evt-gone',
      connectionId: 'conn-valid',
      type: 'messages',
      body: null,
    })
    await until(() => refused.filter((m) => /dead refused/.test(m)).length >= 2)
    // the failure is tried again and again, and nothing of it committed meanwhile
    expect((await tw.runs.get(runId as string))?.state).toBe('active')
    expect((await app.deliveries())[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 410',
    })
    expect(await app.deadDeliveries()).toEqual([])

    await db.query(`DROP TRIGGER no_dead ON ${q}.webhook_deliveries`)
    // whichever is read first, the other already agrees
    for (;;) {
      const dead = (await app.deliveries())[0]?.status === 'dead'
      const failed = (await tw.runs.get(runId as string))?.state === 'failed'
      if (dead) expect(failed).toBe(true)
      const failedFirst = (await tw.runs.get(runId as string))?.state === 'failed'
      const deadAfter = (await app.deliveries())[0]?.status === 'dead'
      if (failedFirst) expect(deadAfter).toBe(true)
      if (dead && failedFirst) break
      await new Promise((r) => setTimeout(r, 5))
    }
    expect(await app.deadDeliveries()).toMatchObject([
      {
        deliveryId: 'evt-gone',
        runId,
        attempts: 1,
        error: 'downstream refused the event: HTTP 410',
      },
    ])
    expect((await app.deliveries())[0]?.lastError).toBe('downstream refused the event: HTTP 410')
  })
})

describe('settings and demo', () => {
  it('reads the legacy env with defaults; a bad value names its variable', () => {
    expect(whatsappHealthOptionsFromEnv({})).toMatchObject({
      schema: 'whatsapp_health',
      metaApiUrl: undefined,
      cron: '0 2 * * *',
      warningDays: 7,
      webhookAttempts: 5,
      webhookRetryDelay: '5m',
    })
    expect(() => whatsappHealthOptionsFromEnv({ META_GRAPH_API_URL: 'graph.facebook' })).toThrow(
      /META_GRAPH_API_URL/,
    )
    expect(() => whatsappHealthOptionsFromEnv({ WHATSAPP_TOKEN_WARNING_DAYS: 'seven' })).toThrow(
      ValidationError,
    )
    expect(() => whatsappHealthOptionsFromEnv({ WHATSAPP_HEALTH_CRON: '0 25 * * *' })).toThrow(
      expect.objectContaining({
        issues: [
          {
            path: 'WHATSAPP_HEALTH_CRON',
            message: expect.stringMatching(/^Invalid value for hour: 25.*, got "0 25 \* \* \*"$/),
          },
        ],
      }),
    )
  })

  it('demo mode: fakes started, connections seeded, a check gives each its status', async () => {
    const tw = makeTickwork()
    const app = await startWhatsappHealthDemo(tw, { WHATSAPP_HEALTH_SCHEMA: freshSchema() })
    await tw.start()
    await tw.trigger(HEALTH_JOB)
    await until(() => completed(tw, HEALTH_JOB, 1))
    expect(await statuses(app)).toEqual(FIRST_CHECK)
    await until(async () => (await tw.runs.counts(DELIVERY_JOB)).delayed === 2)
    expect((await app.deliveries()).map((d) => [d.id, d.status, d.attempts])).toEqual([
      ['evt-demo-flaky', 'pending', 1],
      ['evt-demo-never', 'pending', 1],
      ['evt-demo-ok', 'delivered', 1],
    ])
  })

  it('demo mode under another CLI command than start: fakes and connections, no deliveries', async () => {
    const tw = makeTickwork()
    const app = await startWhatsappHealthDemo(tw, {
      WHATSAPP_HEALTH_SCHEMA: freshSchema(),
      TICKWORK_COMMAND: 'trigger',
    })
    // what `tickwork trigger whatsapp-health-check --wait` does, against the fake Meta
    const { run } = await tw.trigger(HEALTH_JOB, null, { wait: true })
    expect(run?.state).toBe('completed')
    expect(await statuses(app)).toEqual(FIRST_CHECK)
    expect(await app.deliveries()).toEqual([])
    const c = await tw.runs.counts(DELIVERY_JOB)
    expect(c.waiting + c.delayed + c.active + c.completed + c.failed).toBe(0)
  })
})
