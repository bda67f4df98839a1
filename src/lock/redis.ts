import { type ChainableCommander, Redis } from 'ioredis'
import { type Acquired, checkLockArgs, type LockBackend, type LockInfo } from './lock.js'

/** Where the Redis lock backend keeps its leases. */
export interface RedisLocksOptions {
  /** the server, as a `redis://` URL; default redis://127.0.0.1:6379; unused with `client` */
  url?: string
  /** a client of the caller's: used as it is configured, and left open by `close()` */
  client?: Redis
  /** the key of the set naming every lock taken, which `list()` reads */
  index?: string
}

/** The key of the set of lock names unless `index` says otherwise. */
export const DEFAULT_LOCK_INDEX = 'tickwork:locks'

// Either way the name exists afterwards, so it joins the index (a key SET by hand gets
// listed once someone tries it). A refusal reads the holder in the same script, where
// time stands still, so the holder cannot lapse between the SET and the GET.
const ACQUIRE = `
redis.call('SADD', KEYS[2], KEYS[1])
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`

const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SREM', KEYS[2], KEYS[1])
return redis.call('DEL', KEYS[1])`

const EXTEND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`

// Only a name whose key is still gone leaves the index: one acquired again since
// list() read it stays listed.
const PRUNE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
return redis.call('SREM', KEYS[2], KEYS[1])`

// a key SET by hand without PX never lapses: it reads as held until the end of time
const NEVER = 8.64e15

const expiresAt = (pttl: number) => new Date(pttl >= 0 ? Date.now() + pttl : NEVER)

/** Runs a MULTI or pipeline, rejecting with the first command's error. */
async function exec(batch: ChainableCommander): Promise<unknown[]> {
  // exec() answers null only when a WATCHed key changed, and nothing here WATCHes
  const replies = (await batch.exec()) ?? []
  return replies.map(([err, value]) => {
    if (err) throw err
    return value
  })
}

/**
 * Named leases in Redis, for deployments that already run one (standalone or Sentinel:
 * a script touches a lock key and the index together, which Redis Cluster refuses
 * unless both hash to one slot). The key of a lock is its name exactly, holding the
 * owner, so `redis-cli DEL job-lock:X` frees the lock of job X as the legacy runbooks
 * say. Leases lapse in Redis's own real time (PX), not by tickwork's injectable clock,
 * and `expiresAt` is this machine's time plus the key's remaining PTTL.
 *
 * A client made from `url` connects on first use and fails a call fast when Redis does
 * not answer (one reconnect attempt, 5 s timeouts); `close()` quits it. Each call throws
 * `ValidationError` on bad arguments, and rejects with an `Error` naming the operation
 * and the cause (`cannot reach Redis: connect ECONNREFUSED …`) when Redis fails.
 */
export function redisLocks(options: RedisLocksOptions = {}): LockBackend {
  const index = options.index ?? DEFAULT_LOCK_INDEX
  const own = !options.client
  const client =
    options.client ??
    new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      commandTimeout: 5_000,
    })
  let socketError: Error | undefined
  let closed = false
  // our own client's socket errors explain the failed calls; a caller's client reports
  // them to the caller's own listeners
  if (own)
    client.on('error', (err: Error) => {
      socketError = err
    })

  async function call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      const cause =
        socketError && client.status !== 'ready'
          ? `cannot reach Redis: ${socketError.message}`
          : (err as Error).message
      throw new Error(`redis lock backend: ${op} failed: ${cause}`, { cause: err })
    }
  }

  return {
    kind: 'redis',

    async acquire(name, owner, ttlMs): Promise<Acquired> {
      checkLockArgs({ name, owner, ttlMs })
      const reply = await call('acquire', () => client.eval(ACQUIRE, 2, name, index, owner, ttlMs))
      if (reply === 1) return { acquired: true, lock: { name, owner, expiresAt: expiresAt(ttlMs) } }
      const [holder, pttl] = reply as [string, number]
      return { acquired: false, holder: { name, owner: holder, expiresAt: expiresAt(pttl) } }
    },

    async release(name, owner) {
      checkLockArgs({ name, owner })
      return (await call('release', () => client.eval(RELEASE, 2, name, index, owner))) === 1
    },

    async extend(name, owner, ttlMs) {
      checkLockArgs({ name, owner, ttlMs })
      return (await call('extend', () => client.eval(EXTEND, 1, name, owner, ttlMs))) === 1
    },

    async get(name) {
      checkLockArgs({ name })
      const [owner, pttl] = await call('get', () => exec(client.multi().get(name).pttl(name)))
      return typeof owner === 'string'
        ? { name, owner, expiresAt: expiresAt(pttl as number) }
        : undefined
    },

    list: () =>
      call('list', async () => {
        const names = (await client.smembers(index)).sort()
        if (names.length === 0) return []
        const batch = client.multi()
        for (const name of names) batch.get(name).pttl(name)
        const replies = await exec(batch)
        const live: LockInfo[] = []
        const gone = client.pipeline()
        names.forEach((name, i) => {
          const owner = replies[2 * i]
          if (typeof owner === 'string')
            live.push({ name, owner, expiresAt: expiresAt(replies[2 * i + 1] as number) })
          else gone.eval(PRUNE, 2, name, index)
        })
        if (gone.length > 0) await exec(gone)
        return live
      }),

    async clear(name) {
      checkLockArgs({ name })
      const [deleted] = await call('clear', () => exec(client.multi().del(name).srem(index, name)))
      return deleted === 1
    },

    async close() {
      if (!own || closed) return
      closed = true
      // a client that never connected, or is retrying, has no server to say goodbye to
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
      else client.disconnect()
    },
  }
}
