// The start every reliability run shares. The runs test the built library, not the
// sources, so a missing dist/ must stop them before anything starts; the run's schema is
// dropped so that no state of an earlier run is counted by this one's checks.
import { existsSync } from 'node:fs'
import { startPostgres, withClient } from './postgres.mjs'

/**
 * Throws `missing` unless `built` (a path) exists; then imports the library, notes the
 * time (`started`: the runs report their total from here, Postgres' start included), starts
 * Postgres (`database`: a URL, or embedded) and drops `schema`. Resolves
 * `{ Tickwork, started, pg, runSql }`; `runSql(sql, params)` runs one query on its own
 * connection, so it works across a Postgres restart.
 */
export async function prepare({ built, missing, database, schema }) {
  if (!existsSync(built)) throw new Error(missing)
  const { Tickwork } = await import('../../dist/index.js')
  const started = Date.now()
  const pg = await startPostgres({ url: database })
  const runSql = (sql, params) => withClient(pg.url, (c) => c.query(sql, params))
  await runSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  return { Tickwork, started, pg, runSql }
}

/**
 * The teardown a run needs on Ctrl-C and after a crash of its own: kills the children,
 * stops `tw` when given, stops Postgres. Installs the SIGINT handler (exit 130) and
 * returns the teardown for the run's error path.
 */
export function teardown({ fleet, tw, pg }) {
  const cleanup = async () => {
    fleet.killAll()
    await tw?.stop().catch(() => {})
    await pg.stop()
  }
  process.on('SIGINT', async () => {
    await cleanup()
    process.exit(130)
  })
  return cleanup
}
