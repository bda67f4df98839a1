import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freshSchema as schema } from '../helpers.js'
import { cli } from './cli.js'

const JOBS = ['every-10s', 'fails', 'hello', 'hourly', 'windowed']
const json = (text: string) => JSON.parse(text)

// Every test has a schema of its own, and the tests of this file run at once: each
// child is a process, so this is what keeps the file's wall time short.
describe.concurrent('the CLI on the database, with the TypeScript config module', () => {
  it('tells the config module which command loads it (TICKWORK_COMMAND)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-cmd-'))
    const config = join(dir, 'tickwork.config.mjs')
    const lib = new URL('../../dist/index.js', import.meta.url).href
    writeFileSync(
      config,
      `import { Tickwork } from '${lib}'
export default (settings) => {
  process.stderr.write('command=' + process.env.TICKWORK_COMMAND + '\\n')
  return new Tickwork(settings)
}
`,
    )
    const s = schema()
    const [jobs, runs] = await Promise.all([
      cli(s, ['jobs', '--config', config]),
      cli(s, ['runs', '--config', config]),
    ])
    expect(jobs.stderr).toContain('command=jobs')
    expect(runs.stderr).toContain('command=runs')
  })

  it('lists the jobs, as a table and as JSON', async () => {
    const s = schema()
    const [text, asJson] = await Promise.all([cli(s, ['jobs']), cli(s, ['jobs', '--json'])])
    expect(text.code, text.stderr).toBe(0)
    const lines = text.stdout.trim().split('\n')
    expect(lines[0]).toMatch(
      /^JOB +DEFINED +SCHEDULE +NEXT +WAITING +ACTIVE +FAILED 24H +LAST RUN$/,
    )
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(JOBS)
    expect(asJson.code, asJson.stderr).toBe(0)
    const { jobs } = json(asJson.stdout)
    expect(jobs.map((j: { name: string }) => j.name)).toEqual(JOBS)
    expect(jobs[0].definition).not.toBeNull()
  })

  it('triggers and waits: 0 when the run completed, 1 when it failed; then shows, lists, retries and cancels runs', async () => {
    const s = schema()
    const [ok, failed] = await Promise.all([
      cli(s, ['trigger', 'hello', '--payload', '{"name":"Ada"}', '--wait', '--json']),
      cli(s, ['trigger', 'fails', '--wait']),
    ])
    expect(ok.code, ok.stderr).toBe(0)
    const done = json(ok.stdout)
    expect(done.run).toMatchObject({ state: 'completed', result: { greeted: 'Ada' } })
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stdout).toMatch(
      /^run (\d+) of fails failed after 1 attempt: PermanentError: boom/,
    )
    const failedId = /^run (\d+)/.exec(failed.stdout)?.[1] as string

    const [list, shown, retryDone, cancelDone, retryNone, cancelNone] = await Promise.all([
      cli(s, ['runs', '--job', 'hello', '--json']),
      cli(s, ['run', failedId]),
      cli(s, ['retry', done.id]),
      cli(s, ['cancel', done.id]),
      cli(s, ['retry', '999999']),
      cli(s, ['cancel', '999999']),
    ])
    expect(list.code, list.stderr).toBe(0)
    expect(json(list.stdout).runs).toMatchObject([
      { id: done.id, job: 'hello', state: 'completed' },
    ])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/^state: +failed$/m)
    expect(shown.stdout).toMatch(/^source: +manual$/m)
    expect(shown.stdout).toMatch(/attempt 1 failed at .*: PermanentError: boom\n {4}at /)
    expect([retryDone.code, cancelDone.code]).toEqual([4, 4])
    expect(retryDone.stderr).toMatch(/not failed/)
    expect([retryNone.code, cancelNone.code]).toEqual([3, 3])

    const retried = await cli(s, ['retry', failedId, '--json'])
    expect(retried.code, retried.stderr).toBe(0)
    expect(json(retried.stdout)).toMatchObject({ id: failedId, state: 'waiting' })
  })

  it('exits 2 for bad input, naming the flag or variable and never printing a secret', async () => {
    const s = schema()
    const token = 'short-secret'
    const empty = mkdtempSync(join(tmpdir(), 'tickwork-cli-'))
    const [payload, invalid, port, secret, usage, missing, noConfig, unknown] = await Promise.all([
      cli(s, ['trigger', 'hello', '--payload', '{bad']),
      cli(s, ['trigger', 'hello', '--payload', '{"name":""}']),
      cli(s, ['jobs'], { env: { PORT: 'abc' } }),
      cli(s, ['jobs'], { env: { TICKWORK_API_TOKEN: token } }),
      cli(s, ['retry']),
      cli(s, ['jobs', '--config', 'nope.config.ts']),
      cli(s, ['trigger', 'hello'], { cwd: empty }),
      cli(s, ['trigger', 'no-such-job']),
    ])
    expect(payload.code).toBe(2)
    expect(payload.stderr).toMatch(/option '--payload <json>' argument '\{bad' is invalid/)
    expect(invalid.code).toBe(2)
    expect(invalid.stderr).toMatch(/name/)
    expect(port.code).toBe(2)
    expect(port.stderr).toMatch(/PORT: expected an integer 0-65535, got "abc"/)
    expect(secret.code).toBe(2)
    expect(secret.stderr).toMatch(/TICKWORK_API_TOKEN: expected .* at least 16 characters/)
    expect(secret.stderr).not.toContain(token)
    expect(usage.code).toBe(2)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/config module not found: nope\.config\.ts/)
    expect(noConfig.code).toBe(2)
    expect(noConfig.stderr).toMatch(
      /trigger needs the job's definition, but no config module was found/,
    )
    expect(unknown.code).toBe(3)
  })

  it('exits 5 when the database does not answer, without its password', async () => {
    const r = await cli(schema(), ['jobs', '--database', 'postgres://me:hunter2@127.0.0.1:1/db'])
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/cannot reach the database \(postgres:\/\/me@127\.0\.0\.1:1\/db\)/)
    expect(r.stderr).not.toContain('hunter2')
  })

  it("prints a vercel.json's crons: the UTC, minute-grained schedules only", async () => {
    const r = await cli(schema(), ['vercel-json'])
    expect(r.code, r.stderr).toBe(0)
    expect(json(r.stdout)).toEqual({
      crons: [{ path: '/trigger/hourly?wait=1', schedule: '0 * * * *' }],
    })
    expect(r.stderr).toMatch(/left out every-10s: .* seconds field/)
    expect(r.stderr).toMatch(/left out windowed: .* Europe\/London/)
  })

  it('backfills a range, and a second identical backfill enqueues nothing', async () => {
    const s = schema()
    const range = ['--from', '2025-01-01T00:00:00Z', '--to', '2025-01-01T03:00:00Z']
    const first = await cli(s, ['backfill', 'hourly', ...range, '--work'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(
      /completed: 3 ticks, 3 enqueued, 0 existing, 3 completed, 0 failed/,
    )
    // not a terminal: a plain line per change, no bar
    expect(first.stderr).toMatch(/^backfill \d+: 3\/3 ticks: 3 completed, 0 failed, 0 live$/m)
    const again = await cli(s, ['backfill', 'hourly', ...range, '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(json(again.stdout)).toMatchObject({ state: 'completed', enqueued: 0, existing: 3 })
  })

  it('sets a watermark, changes, pauses and resumes a schedule', async () => {
    const s = schema()
    const [set, noSchedule] = await Promise.all([
      cli(s, ['watermark', 'windowed', '--set', '2025-01-01T00:00:00Z']),
      cli(s, ['pause', 'hello']),
    ])
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout.trim()).toBe('windowed: 2025-01-01T00:00:00.000Z')
    expect(noSchedule.code).toBe(3)
    const got = await cli(s, ['watermark', 'windowed', '--json'])
    expect(json(got.stdout)).toEqual({ job: 'windowed', watermark: '2025-01-01T00:00:00.000Z' })

    const changed = await cli(s, ['schedule', 'hourly', '--cron', '30 * * * *'])
    expect(changed.code, changed.stderr).toBe(0)
    expect(changed.stdout).toMatch(/^cron: +30 \* \* \* \*$/m)
    expect(changed.stdout.match(/^ {2}\S+:30:00\.000Z$/gm)).toHaveLength(5)
    const paused = await cli(s, ['pause', 'hourly', '--json'])
    expect(paused.code, paused.stderr).toBe(0)
    expect(json(paused.stdout)).toMatchObject({ schedule: { paused: true }, next: [] })
    const resumed = await cli(s, ['resume', 'hourly'])
    expect(resumed.stdout).toMatch(/^paused: +no$/m)
  })
})
