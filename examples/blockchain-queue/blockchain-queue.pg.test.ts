import { createHash } from 'node:crypto'
import { ConflictError, createApp, ValidationError } from 'tickwork'
import { afterEach, describe, expect, it } from 'vitest'
import { freshSchema, makeTickwork, manualClock, until } from '../../test/helpers.js'
import { DEAD_JOB, installBlockchainQueue, WRITE_JOB } from './app.js'
import type { Receipt } from './chain.js'
import { startBlockchainQueueDemo } from './demo.js'
import { blockchainQueueOptionsFromEnv } from './env.js'
import { type FakeChain, type FakeChainOptions, startFakeChain } from './fake-chain.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const TOKEN = 'admin-token-0123456789'

const fakes: FakeChain[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
})

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex')
const credential = (id: string) => ({ id, dataHash: hashOf(id), ipfsCid: `bafy-${id}` })
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function setup(
  o: { mock?: boolean; chain?: FakeChainOptions; start?: boolean; maintenance?: boolean } = {},
) {
  const clock = manualClock()
  const tw = makeTickwork({ clock, ...(o.maintenance ? { maintenanceInterval: '50ms' } : {}) })
  const fake = await startFakeChain(o.chain)
  fakes.push(fake)
  const app = await installBlockchainQueue(tw, {
    schema: freshSchema(),
    chainUrl: fake.url,
    mock: o.mock,
  })
  if (o.start !== false) await tw.start({ maintenance: o.maintenance ?? false })
  return { clock, tw, fake, app }
}

describe('blockchain-queue', () => {
  it('issues a credential pending, writes it to the chain and confirms it with the receipt; status by id, also over HTTP', async () => {
    const { tw, fake, app } = await setup()
    const release = fake.hold()
    const issued = await app.issueCredential(credential('c-1'))
    expect(issued).toMatchObject({ id: 'c-1', created: true })

    await until(() => fake.inFlight === 1)
    const pending = await app.status('c-1')
    expect(pending).toMatchObject({ blockchainStatus: 'pending', txHash: null, error: null })
    expect(pending?.run).toMatchObject({ id: issued.runId, state: 'active', attempt: 1 })
    expect(fake.calls[0]?.payload).toEqual({
      credential_id: 'c-1',
      data_hash: hashOf('c-1'),
      ipfs_cid: 'bafy-c-1',
    })

    release()
    await until(async () => (await app.status('c-1'))?.blockchainStatus === 'confirmed')
    const chain = fake.calls[0]?.reply?.body as { tx_hash: string; block_number: number }
    const done = await app.status('c-1')
    expect(done).toMatchObject({
      txHash: chain.tx_hash,
      blockNumber: chain.block_number,
      error: null,
      run: { state: 'completed', attempt: 1, errors: [] },
    })
    expect(done?.run?.result).toEqual({
      txHash: chain.tx_hash,
      blockNumber: chain.block_number,
      mock: false,
    })
    expect((await app.stats()).credentials).toEqual({ pending: 0, confirmed: 1, failed: 0 })
    expect((await app.list('completed')).map((r) => r.key)).toEqual(['c-1'])

    const http = createApp(tw, { tokens: { admin: [TOKEN] } })
    const res = await http.request(`/api/jobs/${WRITE_JOB}/by-key/c-1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { id: string; state: string; result: Receipt }
    expect(body).toMatchObject({ id: issued.runId, state: 'completed' })
    expect(body.result.txHash).toBe(chain.tx_hash)
    const unknown = await http.request(`/api/jobs/${WRITE_JOB}/by-key/nope`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(unknown.status).toBe(404)
  })

  it('retries a failing chain after 5 s, then 10 s, then fails the credential with the error and dead-letters it', async () => {
    const { clock, tw, fake, app } = await setup({ chain: { failureRate: 1 } })
    const t0 = clock.now()
    const { runId } = await app.issueCredential(credential('c-2'))

    const delayedUntil = async (ms: number) => {
      await until(async () => {
        const s = await app.status('c-2')
        return s?.run?.state === 'delayed' && s.run.runAt.getTime() === ms
      })
    }
    await delayedUntil(t0 + 5000)
    expect((await app.status('c-2'))?.blockchainStatus).toBe('pending')
    clock.advance(4999)
    await pause(300)
    expect(fake.calls).toHaveLength(1)

    clock.advance(1)
    await until(() => fake.calls.length === 2)
    await delayedUntil(t0 + 5000 + 10_000)
    clock.advance(9999)
    await pause(300)
    expect(fake.calls).toHaveLength(2)

    clock.advance(1)
    await until(async () => (await app.status('c-2'))?.blockchainStatus === 'failed')
    const failed = await app.status('c-2')
    expect(failed).toMatchObject({
      txHash: null,
      error: 'chain service answered 503: chain node unavailable',
      run: { id: runId, state: 'failed', attempt: 3, maxAttempts: 3 },
    })
    expect(failed?.run?.errors.map((e) => [e.attempt, e.message])).toEqual([
      [1, 'chain service answered 503: chain node unavailable'],
      [2, 'chain service answered 503: chain node unavailable'],
      [3, 'chain service answered 503: chain node unavailable'],
    ])
    expect(fake.calls).toHaveLength(3)

    await until(async () => (await app.stats()).dead.completed === 1)
    const [dead] = (await tw.runs.list({ job: DEAD_JOB })).runs
    expect(dead?.payload).toMatchObject({
      job: WRITE_JOB,
      runId,
      payload: { credential_id: 'c-2' },
      error: { message: 'chain service answered 503: chain node unavailable' },
    })
    expect(await app.stats()).toMatchObject({
      queue: { failed: 1, completed: 0 },
      credentials: { pending: 0, confirmed: 0, failed: 1 },
    })

    // the way back once the chain recovers: pending again, a new write, confirmed
    fake.options.failureRate = 0
    const again = await app.retryCredential('c-2')
    expect(again.runId).not.toBe(runId)
    await until(async () => (await app.status('c-2'))?.blockchainStatus === 'confirmed')
    expect((await app.status('c-2'))?.error).toBeNull()
    await expect(app.retryCredential('c-2')).rejects.toThrow(ConflictError)
  })

  it('fails a credential the chain refuses (4xx) at once, without retrying', async () => {
    const { fake, app } = await setup()
    fake.rejected.add('c-3')
    await app.issueCredential(credential('c-3'))
    await until(async () => (await app.status('c-3'))?.blockchainStatus === 'failed')
    const s = await app.status('c-3')
    expect(s?.error).toBe('chain service answered 422: credential c-3 rejected by the chain')
    expect(s?.run).toMatchObject({ state: 'failed', attempt: 1 })
    expect(s?.run?.errors.map((e) => e.name)).toEqual(['PermanentError'])
    await until(async () => (await app.stats()).dead.completed === 1)
    await pause(200)
    expect(fake.calls).toHaveLength(1)
  })

  it('confirms in the transaction of the completion: a confirmation refused by a constraint commits nothing and the attempt is retried', async () => {
    const { clock, fake, app } = await setup()
    await app.issueCredential(credential('c-4a'))
    await until(async () => (await app.status('c-4a'))?.blockchainStatus === 'confirmed')
    const taken = (await app.status('c-4a'))?.txHash as string

    // the chain answers c-4b with the hash it gave c-4a: tx_hash is unique
    fake.next.push({ status: 200, body: { tx_hash: taken, block_number: 7 } })
    const t = clock.now()
    const { runId } = await app.issueCredential(credential('c-4b'))
    await until(async () => (await app.status('c-4b'))?.run?.state === 'delayed')
    const retrying = await app.status('c-4b')
    expect(retrying).toMatchObject({ blockchainStatus: 'pending', txHash: null, blockNumber: null })
    expect(retrying?.run).toMatchObject({ id: runId, attempt: 1, result: null })
    expect(retrying?.run?.runAt.getTime()).toBe(t + 5000)
    expect(retrying?.run?.errors[0]?.message).toMatch(/unique|duplicate/i)
    expect((await app.stats()).queue.completed).toBe(1)

    clock.advance(5000)
    await until(async () => (await app.status('c-4b'))?.blockchainStatus === 'confirmed')
    const confirmed = await app.status('c-4b')
    expect(confirmed?.txHash).not.toBe(taken)
    const answered = fake.calls[2]?.reply?.body as { tx_hash: string } | undefined
    expect(confirmed?.txHash).toBe(answered?.tx_hash)
    expect(confirmed?.run).toMatchObject({ id: runId, state: 'completed', attempt: 2 })
  })

  it('issues in the caller transaction: rolled back, it leaves neither the credential nor its run', async () => {
    const { tw, fake, app } = await setup()
    await expect(
      tw.transaction(async (tx) => {
        await app.issueCredential(credential('c-5'), { tx })
        throw new Error('the rest of the issuance failed')
      }),
    ).rejects.toThrow('the rest of the issuance failed')
    await pause(300)
    expect(await app.status('c-5')).toBeUndefined()
    expect(await tw.runs.getByKey(WRITE_JOB, 'c-5')).toBeUndefined()
    expect(fake.calls).toHaveLength(0)

    await tw.transaction((tx) => app.issueCredential(credential('c-5'), { tx }))
    await until(async () => (await app.status('c-5'))?.blockchainStatus === 'confirmed')
  })

  it('writes a credential issued twice once, refuses other data under its id, and refuses bad input', async () => {
    const { tw, fake, app } = await setup()
    const release = fake.hold()
    const first = await app.issueCredential(credential('c-6'))
    const second = await app.issueCredential(credential('c-6'))
    expect(second).toEqual({ id: 'c-6', runId: first.runId, created: false })
    const racing = await Promise.all([
      app.issueCredential(credential('c-7')),
      app.issueCredential(credential('c-7')),
    ])
    expect(racing.map((r) => r.created).sort()).toEqual([false, true])
    release()
    await until(async () => (await app.stats()).credentials.confirmed === 2)

    // after the write completed the key is free again: the credential row is what stops a second write
    expect(await app.issueCredential(credential('c-6'))).toMatchObject({ created: false })
    await pause(300)
    expect(fake.calls.map((c) => c.payload.credential_id).sort()).toEqual(['c-6', 'c-7'])
    expect((await tw.runs.counts(WRITE_JOB)).completed).toBe(2)

    await expect(
      app.issueCredential({ ...credential('c-6'), dataHash: hashOf('other') }),
    ).rejects.toThrow(ConflictError)
    const bad = await app
      .issueCredential({ id: 'c-8', dataHash: 'xyz', ipfsCid: '' })
      .catch((e) => e)
    expect(bad).toBeInstanceOf(ValidationError)
    expect((bad as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'dataHash',
      'ipfsCid',
    ])
    expect(await app.status('c-8')).toBeUndefined()
  })

  // a wait on the held connection would hang: the suite's timeout catches it; PGlite's start
  // alone takes 3-4 s here, so a tighter one fails a loaded CI machine
  it('answers a credential issued twice on the embedded store, whose one connection the issuing transaction holds', async () => {
    const tw = makeTickwork({ database: 'memory://' })
    const fake = await startFakeChain()
    fakes.push(fake)
    const app = await installBlockchainQueue(tw, { schema: freshSchema(), chainUrl: fake.url })
    await tw.start({ maintenance: false })
    const first = await app.issueCredential(credential('p-1'))
    expect(await app.issueCredential(credential('p-1'))).toEqual({
      id: 'p-1',
      runId: first.runId,
      created: false,
    })
    // in the caller's transaction the earlier run is not looked up: that would wait for the held connection
    const inTx = () => tw.transaction((tx) => app.issueCredential(credential('p-2'), { tx }))
    expect(await inTx()).toMatchObject({ id: 'p-2', created: true })
    expect(await inTx()).toEqual({ id: 'p-2', runId: null, created: false })
    await until(async () => (await app.stats()).credentials.confirmed === 2)
    expect(fake.calls.map((c) => c.payload.credential_id).sort()).toEqual(['p-1', 'p-2'])
  })

  it('mock mode makes no chain call and confirms with a hash derived from the payload', async () => {
    const { fake, app } = await setup({ mock: true })
    await app.issueCredential(credential('c-9'))
    await until(async () => (await app.status('c-9'))?.blockchainStatus === 'confirmed')
    const expected = `0x${hashOf(`c-9\n${hashOf('c-9')}\nbafy-c-9`)}`
    expect(await app.status('c-9')).toMatchObject({
      txHash: expected,
      blockNumber: null,
      run: { result: { txHash: expected, blockNumber: null, mock: true } },
    })
    expect(fake.calls).toHaveLength(0)
  })

  it('starts at most 5 writes at once and 10 a second, urgent credentials first', async () => {
    const { clock, tw, fake, app } = await setup({ start: false })
    for (let i = 0; i < 12; i++) await app.issueCredential(credential(`n-${i}`))
    await app.issueCredential(credential('urgent'), { priority: 10 })
    const release = fake.hold()
    await tw.start({ maintenance: false })

    await until(() => fake.inFlight === 5)
    await pause(300)
    expect(fake.inFlight).toBe(5)
    expect(fake.calls.slice(0, 5).map((c) => c.payload.credential_id)).toContain('urgent')
    release()
    await until(async () => (await app.stats()).credentials.confirmed === 10)
    await pause(300)
    expect(await app.stats()).toMatchObject({
      credentials: { confirmed: 10, pending: 3 },
      queue: { completed: 10, waiting: 3, active: 0 },
    })
    expect((await app.list('waiting')).map((r) => r.key)).not.toContain('urgent')
    expect(fake.calls).toHaveLength(10)

    clock.advance(1000)
    await until(async () => (await app.stats()).credentials.confirmed === 13)
    expect(fake.maxInFlight).toBe(5)
  })

  it('shuts down gracefully: a write in flight finishes within the grace, past it goes back to the queue for the next process', async () => {
    const clock = manualClock()
    const schemas = { tickwork: freshSchema(), app: freshSchema() }
    const fake = await startFakeChain()
    fakes.push(fake)
    const processOf = async () => {
      const tw = makeTickwork({ clock, schema: schemas.tickwork })
      const app = await installBlockchainQueue(tw, { schema: schemas.app, chainUrl: fake.url })
      await tw.start({ maintenance: false })
      return { tw, app }
    }

    const first = await processOf()
    let release = fake.hold()
    await first.app.issueCredential(credential('c-10'))
    await until(() => fake.inFlight === 1)
    let stopped = false
    const stopping = first.tw.stop({ grace: '10s' }).then(() => {
      stopped = true
    })
    await pause(300)
    expect(stopped).toBe(false)
    release()
    await stopping
    const second = await processOf()
    expect(await second.app.status('c-10')).toMatchObject({
      blockchainStatus: 'confirmed',
      run: { state: 'completed', attempt: 1 },
    })

    release = fake.hold()
    await second.app.issueCredential(credential('c-11'))
    await until(() => fake.inFlight === 1)
    await second.tw.stop({ grace: 0 })
    const third = await processOf()
    expect((await third.app.status('c-11'))?.blockchainStatus).toBe('pending')
    release()
    await until(async () => (await third.app.status('c-11'))?.blockchainStatus === 'confirmed')
    expect((await third.app.status('c-11'))?.run).toMatchObject({ attempt: 1, errors: [] })
    expect(fake.calls.map((c) => c.payload.credential_id)).toEqual(['c-10', 'c-11', 'c-11'])
  })

  it('keeps completed writes 24 h (at most 1000) and failed ones 7 days; the credentials stay', async () => {
    const { clock, tw, fake, app } = await setup({ maintenance: true })
    // the legacy's removeOnComplete { age: 86400, count: 1000 }: the count rule is tickwork's
    // sweep, so the definition is what this app owns
    expect((await tw.jobs.get(WRITE_JOB)).definition?.keep).toEqual({
      completed: { ageMs: DAY, count: 1000 },
      failed: { ageMs: 7 * DAY, count: null },
      cancelled: { ageMs: 7 * DAY, count: null },
    })
    fake.rejected.add('bad')
    const ok = await app.issueCredential(credential('good'))
    const ko = await app.issueCredential(credential('bad'))
    await until(async () => (await app.stats()).dead.completed === 1)
    await until(async () => (await app.stats()).credentials.confirmed === 1)
    const dead = (await tw.runs.list({ job: DEAD_JOB })).runs[0]
    const exists = async (id: string | null) => (await tw.runs.get(id as string)) !== undefined

    clock.advance(DAY - HOUR)
    await pause(400)
    expect([await exists(ok.runId), await exists(ko.runId)]).toEqual([true, true])

    clock.advance(2 * HOUR)
    await until(async () => !(await exists(ok.runId)))
    expect([await exists(ko.runId), await exists(dead?.id ?? null)]).toEqual([true, true])

    clock.advance(6 * DAY)
    await until(async () => !(await exists(ko.runId)) && !(await exists(dead?.id ?? null)))
    expect(await app.status('good')).toMatchObject({ blockchainStatus: 'confirmed', run: null })
    expect(await app.status('bad')).toMatchObject({ blockchainStatus: 'failed', run: null })
  })

  it('reads its settings from the environment, naming a bad variable', async () => {
    expect(blockchainQueueOptionsFromEnv({})).toEqual({
      schema: undefined,
      chainUrl: undefined,
      mock: false,
      timeoutMs: undefined,
    })
    expect(
      blockchainQueueOptionsFromEnv({
        BLOCKCHAIN_SERVICE_URL: 'http://chain:8545',
        BLOCKCHAIN_MOCK_ENABLED: 'true',
        BLOCKCHAIN_TIMEOUT_MS: '5000',
      }),
    ).toMatchObject({ chainUrl: 'http://chain:8545', mock: true, timeoutMs: 5000 })
    for (const [name, value] of [
      ['BLOCKCHAIN_MOCK_ENABLED', 'yes'],
      ['BLOCKCHAIN_SERVICE_URL', 'chain:8545'],
      ['BLOCKCHAIN_TIMEOUT_MS', '5s'],
      ['BLOCKCHAIN_FAKE_FAILURE_RATE', '1.5'],
    ] as const) {
      const err = (() => {
        try {
          blockchainQueueOptionsFromEnv({ [name]: value })
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).issues.map((i) => i.path)).toEqual([name])
    }
    const tw = makeTickwork()
    await expect(installBlockchainQueue(tw, { schema: freshSchema() })).rejects.toThrow(
      /chainUrl: required unless mock/,
    )
  })

  it('demo mode starts the fake chain and issues credentials that get confirmed', async () => {
    const tw = makeTickwork()
    const { app, fake } = await startBlockchainQueueDemo(tw, {
      BLOCKCHAIN_QUEUE_SCHEMA: freshSchema(),
      BLOCKCHAIN_FAKE_FAILURE_RATE: '0',
    })
    expect(fake).toBeDefined()
    if (fake) fakes.push(fake)
    await tw.start()
    await until(async () => (await app.stats()).credentials.confirmed === 3)
    expect(fake?.calls).toHaveLength(3)
  })

  it('demo mode under another CLI command than start starts the fake but issues nothing', async () => {
    const tw = makeTickwork()
    const env = { BLOCKCHAIN_QUEUE_SCHEMA: freshSchema(), BLOCKCHAIN_FAKE_FAILURE_RATE: '0' }
    const { app, fake } = await startBlockchainQueueDemo(tw, { ...env, TICKWORK_COMMAND: 'jobs' })
    expect(fake).toBeDefined()
    if (fake) fakes.push(fake)
    // what `tickwork trigger --wait` needs: the fake answers a write run in this process
    await app.issueCredential(credential('by-hand'))
    await tw.start({ maintenance: false })
    await until(async () => (await app.stats()).credentials.confirmed === 1)
    await pause(300)
    expect((await app.stats()).credentials).toEqual({ pending: 0, confirmed: 1, failed: 0 })
    expect(fake?.calls.map((c) => c.payload.credential_id)).toEqual(['by-hand'])
  })
})
