import { connect } from 'node:net'

/** The Redis the tests use: TEST_REDIS_URL, or the machine's. */
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Whether something accepts TCP connections where `url` points, within a second. */
export function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1_000 })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

/** The error `p` rejects with; throws when it resolves. */
export async function rejection<E extends Error = Error>(p: Promise<unknown>): Promise<E> {
  try {
    await p
  } catch (err) {
    return err as E
  }
  throw new Error('expected a rejection')
}

/** Matches the owner a trigger writes on its lock for run `id` (tickwork:<schema>:run:<id>). */
export const heldBy = (id: string) => new RegExp(`^tickwork:[a-z0-9_]+:run:${id}$`)
