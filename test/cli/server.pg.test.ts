import { beforeAll, describe, expect, it } from 'vitest'
import { freshSchema, until } from '../helpers.js'
import { cli, spawnCli } from './cli.js'

const TOKEN = 'test-admin-token-0123456789'

// One `start` child serves the whole file: its HTTP API is what the --url tests talk to.
describe('tickwork start, and the CLI through its API', () => {
  const s = freshSchema()
  const server = spawnCli(s, ['start', '--port', '0', '--host', '127.0.0.1', '--grace', '2s'], {
    TICKWORK_API_TOKEN: TOKEN,
  })
  let url = ''

  beforeAll(async () => {
    // not a terminal: JSON log lines; the startup line carries the port chosen
    await until(() => {
      if (server.child.exitCode !== null)
        throw new Error(`start exited ${server.child.exitCode}: ${server.out.stderr}`)
      return /"port":\d+/.test(server.out.stdout)
    }, 20_000)
    const started = server.out.stdout
      .split('\n')
      .map((l) => JSON.parse(l || '{}'))
      .find((l) => l.port)
    url = `http://127.0.0.1:${started.port}`
  })

  it('logs its roles and where the database is, then answers /healthz', async () => {
    const started = server.out.stdout.split('\n').find((l) => l.includes('"port"')) as string
    expect(JSON.parse(started)).toMatchObject({
      roles: ['worker', 'scheduler', 'maintenance', 'http'],
      schema: s,
    })
    expect(started).not.toMatch(/:[^:@/]+@/) // no password in a URL
    const res = await fetch(`${url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('serves jobs, trigger --wait and run to the CLI with --url; a wrong token exits 6', async () => {
    const remote = (args: string[], token = TOKEN) =>
      // no DATABASE_URL: the child must go through the server
      cli(s, [...args, '--url', url], { env: { TICKWORK_API_TOKEN: token, DATABASE_URL: '' } })
    const [jobs, ok, failed, missing, denied] = await Promise.all([
      remote(['jobs', '--json']),
      remote(['trigger', 'hello', '--payload', '{"name":"Bo"}', '--wait', '--json']),
      remote(['trigger', 'fails', '--wait']),
      remote(['run', '999999']),
      remote(['jobs'], 'wrong-token-0123456789'),
    ])
    expect(jobs.code, jobs.stderr).toBe(0)
    expect(JSON.parse(jobs.stdout).jobs.map((j: { name: string }) => j.name)).toContain('hourly')
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout).run).toMatchObject({
      state: 'completed',
      result: { greeted: 'Bo' },
    })
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stdout).toMatch(/failed after 1 attempt: PermanentError: boom/)
    expect(missing.code).toBe(3)
    expect(denied.code).toBe(6)
    expect(denied.stderr).toMatch(/the server refused the token \(401\)/)
  })

  it('stops gracefully on SIGTERM, with exit code 0', async () => {
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.out.stdout).toMatch(/"msg":"stopped"/)
  })
})

describe('tickwork start --dev-token', () => {
  it('makes an admin token for the run and prints the dashboard link to the terminal only', async () => {
    const s = freshSchema()
    const server = spawnCli(s, ['start', '--examples', '--dev-token', '--port', '0'], {
      TICKWORK_API_TOKEN: '',
    })
    const link = /Dashboard \(admin, this run only\): (http:\/\/localhost:(\d+)\/)#token=(\S+)/
    await until(() => {
      if (server.child.exitCode !== null)
        throw new Error(`start exited ${server.child.exitCode}: ${server.out.stderr}`)
      return link.test(server.out.stderr)
    }, 20_000)
    const [, page = '', port = '', token = ''] = link.exec(server.out.stderr) ?? []
    const base = `http://127.0.0.1:${port}`
    const session = await fetch(`${base}/api/session`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(await session.json()).toEqual({ scope: 'admin' })
    expect((await fetch(`${base}/api/session`)).status).toBe(401)
    expect((await fetch(page.replace('localhost', '127.0.0.1'))).status).toBe(200)
    // the JSON log names the dashboard but never carries the token
    expect(server.out.stdout).toMatch(/"msg":"dashboard at http:\/\/localhost:\d+\/"/)
    expect(server.out.stdout).not.toContain(token)
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })

  it('without the dashboard prints the bare token; beside TICKWORK_API_TOKEN it is ignored', async () => {
    const bare = spawnCli(
      freshSchema(),
      ['start', '--examples', '--dev-token', '--no-dashboard', '--port', '0'],
      { TICKWORK_API_TOKEN: '' },
    )
    await until(() => /API token \(admin, this run only\): \S+/.test(bare.out.stderr), 20_000)
    expect(bare.out.stdout).not.toMatch(/dashboard at/)
    bare.child.kill('SIGTERM')
    const set = spawnCli(freshSchema(), ['start', '--examples', '--dev-token', '--port', '0'], {
      TICKWORK_API_TOKEN: TOKEN,
    })
    await until(() => /--dev-token ignored/.test(set.out.stdout), 20_000)
    expect(set.out.stderr).not.toMatch(/this run only/)
    set.child.kill('SIGTERM')
    expect(await bare.exited).toEqual({ code: 0, signal: null })
    expect(await set.exited).toEqual({ code: 0, signal: null })
  })
})
