import pg from 'pg'
import { afterAll, afterEach, inject } from 'vitest'
import { Tickwork, type TickworkOptions } from '../src/index.js'

/** The test Postgres server (TEST_DATABASE_URL, or the embedded one global setup started). */
export const databaseUrl = (): string => inject('databaseUrl')

let counter = 0
const schemas: string[] = []
const instances: Tickwork[] = []

/** A schema of its own for each use, dropped after the file. */
export function freshSchema(): string {
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`
  schemas.push(name)
  return name
}

/** The drivers every conformance test runs on. */
export const drivers = [
  { driver: 'pg', database: () => databaseUrl() },
  { driver: 'pglite', database: () => 'memory://' },
] as const

const backgroundErrors: Error[] = []

/**
 * A Tickwork on its own fresh schema, quiet, stopped after the file. A background
 * `error` it emits fails the test, unless `allowErrors` says the test provokes them.
 */
export function makeTickwork(
  options: TickworkOptions = {},
  { allowErrors = false } = {},
): Tickwork {
  const tw = new Tickwork({
    database: databaseUrl(),
    schema: freshSchema(),
    logger: false,
    pollInterval: 100,
    // two files run at once against one server: keep each instance's connections few
    poolSize: 4,
    ...options,
  })
  tw.on('error', (err) => {
    if (!allowErrors) backgroundErrors.push(err)
  })
  instances.push(tw)
  return tw
}

afterEach(async () => {
  // each test's instances close with it, so their connections do not pile up per file
  await Promise.allSettled(instances.splice(0).map((tw) => tw.stop({ grace: 0 })))
  const errors = backgroundErrors.splice(0)
  if (errors.length > 0)
    throw new Error(`background errors: ${errors.map((e) => e.message).join('; ')}`)
})

/** A settable clock, starting now. */
export function manualClock(start = Date.now()) {
  let t = start
  return {
    now: () => t,
    set: (ms: number) => {
      t = ms
    },
    advance: (ms: number) => {
      t += ms
    },
  }
}

/** Resolves when `predicate` holds, checking every 10 ms; rejects after `timeoutMs`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A plain pg client on the test server, closed after the file. */
export async function pgClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  afterAll(() => client.end())
  return client
}

afterAll(async () => {
  await Promise.allSettled(instances.map((tw) => tw.stop({ grace: 0 })))
  if (schemas.length === 0) return
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await client.end()
})
