import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { databaseUrl } from '../helpers.js'

/** The built CLI (npm test builds first), run as a user runs it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
/** The folder of the fixture config: commands run there find tickwork.config.ts by themselves. */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/cli/', import.meta.url))

/** What a CLI run printed and how it ended. */
export interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The environment of a CLI child: only what the test gives, on the test database and
 * `schema`, so a variable set where the tests run (PORT, LOG_LEVEL…) cannot leak in.
 */
export function cliEnv(schema: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR'].flatMap((k) =>
    process.env[k] === undefined ? [] : [[k, process.env[k] as string]],
  )
  return {
    ...Object.fromEntries(keep),
    DATABASE_URL: databaseUrl(),
    TICKWORK_SCHEMA: schema,
    ...env,
  }
}

/** Runs the CLI with `args` to its end, in the fixture folder unless `cwd` says otherwise. */
export function cli(
  schema: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? FIXTURE_DIR,
      env: cliEnv(schema, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A long-running CLI child (`start`), its output gathered; killed after the file if alive. */
export function spawnCli(schema: string, args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], {
    cwd: FIXTURE_DIR,
    env: cliEnv(schema, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out.stdout += s
  })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out.stderr += s
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  afterAll(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, out, exited }
}
