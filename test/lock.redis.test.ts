import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { triggerLockName } from '../src/lock/lock.js'
import { redisLocks } from '../src/lock/redis.js'
import { lockConformance } from './lock.conformance.js'
import { reachable, redisUrl } from './util.js'

const url = redisUrl

const available = await reachable(url)
// a skipped suite must be seen, not mistaken for a pass
if (!available) console.warn(`lock.redis: no Redis at ${url}: the Redis lock suite is SKIPPED`)

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

describe.skipIf(!available)('redis lock backend', () => {
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  const indexes: string[] = []
  const opened: { close(): Promise<void> }[] = []
  let counter = 0

  /** A backend on its own index key, which afterEach deletes with every lock it names. */
  const backend = (options: { client?: Redis } = {}) => {
    const index = `tw-test:${process.pid}:${Date.now().toString(36)}:${counter++}:index`
    indexes.push(index)
    const locks = redisLocks({ url, index, ...options })
    opened.push(locks)
    return { locks, index }
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((l) => l.close()))
    for (const index of indexes.splice(0)) await raw.del(...(await raw.smembers(index)), index)
  })
  afterAll(() => raw.quit())

  lockConformance('redis', async () => ({ locks: backend().locks, advance: sleep }))

  it('keys a lock by its name, so the runbook’s DEL job-lock:<job> frees it', async () => {
    const { locks } = backend()
    const name = triggerLockName(`tw-test:${process.pid}:${counter}:nightly`)
    await locks.acquire(name, 'run-1', 60_000)
    expect(await raw.get(name)).toBe('run-1')
    expect(await raw.del(name)).toBe(1)
    expect(await locks.get(name)).toBeUndefined()
    expect(await locks.acquire(name, 'run-2', 60_000)).toMatchObject({ acquired: true })
  })

  it('drops from the index a name whose key is gone, and lists a key set by hand once tried', async () => {
    const { locks, index } = backend()
    const name = `tw-test:${process.pid}:${counter}:x`
    await locks.acquire(name, 'o1', 60_000)
    await raw.del(name)
    expect(await locks.list()).toEqual([])
    expect(await raw.sismember(index, name)).toBe(0)
    await raw.set(name, 'by-hand')
    expect(await locks.acquire(name, 'o1', 60_000)).toMatchObject({
      acquired: false,
      holder: { owner: 'by-hand' },
    })
    expect((await locks.list()).map((l) => l.owner)).toEqual(['by-hand'])
  })

  it('works on a client passed in, and leaves it open on close', async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    const { locks } = backend({ client })
    const name = `tw-test:${process.pid}:${counter}:passed`
    expect(await locks.acquire(name, 'o1', 60_000)).toMatchObject({ acquired: true })
    await locks.close()
    await locks.close()
    expect(await client.get(name)).toBe('o1')
    await client.quit()
  })
})

describe('redis lock backend without a server', () => {
  it('rejects a call at once with an error naming the cause', async () => {
    const locks = redisLocks({ url: 'redis://127.0.0.1:1' })
    const started = Date.now()
    await expect(locks.acquire('x', 'o', 1_000)).rejects.toThrow(
      /^redis lock backend: acquire failed: cannot reach Redis: connect ECONNREFUSED/,
    )
    expect(Date.now() - started).toBeLessThan(5_000)
    await locks.close()
    await locks.close()
  })
})
