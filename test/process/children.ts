import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { afterEach } from 'vitest'
import type { JobOptions, TickworkOptions } from '../../src/index.js'
import { databaseUrl, freshSchema, makeTickwork, until } from '../helpers.js'

const WORKER = fileURLToPath(new URL('../fixtures/worker.mjs', import.meta.url))

/** What test/fixtures/worker.mjs is told (see its header). */
export interface ChildSettings {
  schema: string
  mode?: 'worker' | 'migrate'
  job?: string
  jobOptions?: Omit<JobOptions, 'run'>
  options?: Omit<TickworkOptions, 'database' | 'schema' | 'logger' | 'clock'>
  /** 'noop' or 'sleep:<ms>' */
  handler?: string
  /** the grace of tw.stop() on SIGTERM */
  grace?: string
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A fixture process, its output gathered as it comes. */
export class Child {
  readonly proc: ChildProcess
  readonly pid: number
  readonly exited: Promise<Exit>
  exit: Exit | undefined
  stdout = ''
  stderr = ''

  /** Runs `fixture` (a script in test/fixtures) with the test database and `env`. */
  constructor(fixture: string, env: Record<string, string>) {
    this.proc = spawn(process.execPath, [fixture], {
      env: { ...process.env, TW_DATABASE_URL: databaseUrl(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    if (this.proc.pid === undefined) throw new Error('could not start the fixture process')
    this.pid = this.proc.pid
    this.proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s
    })
    this.proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s
    })
    // 'close', not 'exit': it comes once stdout and stderr are read to their end, so a
    // line printed just before exiting is never missed
    this.exited = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        this.exit = { code, signal }
        resolve(this.exit)
      })
    })
    // a spawn failure surfaces as an exit, with the error in stderr
    this.proc.once('error', (err) => {
      this.stderr += `spawn error: ${err.stack}\n`
    })
  }

  /** The complete lines printed so far. */
  get lines(): string[] {
    return this.stdout
      .slice(0, this.stdout.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
  }

  /** Resolves once the process printed `line`; rejects when it exits first or on timeout. */
  async printed(line: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const match = () =>
      this.lines.find((l) => (typeof line === 'string' ? l === line : line.test(l)))
    await until(() => {
      if (match() !== undefined) return true
      if (this.exit)
        throw new Error(
          `process ${this.pid} exited (${JSON.stringify(this.exit)}) before printing ${line}; stderr:\n${this.stderr}`,
        )
      return false
    }, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message} (waiting for ${line} from process ${this.pid})`)
    })
    return match() as string
  }

  /** Resolves with the exit; rejects on timeout. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    await until(() => this.exit !== undefined, timeoutMs).catch(() => {
      throw new Error(`process ${this.pid} still running after ${timeoutMs} ms`)
    })
    return this.exit as Exit
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exit) this.proc.kill(signal)
  }
}

const children = new Set<Child>()

/** Starts a fixture script; the process is SIGKILLed after the test if still running. */
export function startFixture(fixture: string, env: Record<string, string>): Child {
  const child = new Child(fixture, env)
  children.add(child)
  return child
}

/** Starts test/fixtures/worker.mjs. */
export function startChild(settings: ChildSettings): Child {
  return startFixture(WORKER, {
    TW_SCHEMA: settings.schema,
    TW_MODE: settings.mode ?? 'worker',
    TW_JOB: settings.job ?? 'work',
    TW_JOB_OPTIONS: JSON.stringify(settings.jobOptions ?? {}),
    TW_OPTIONS: JSON.stringify(settings.options ?? {}),
    TW_HANDLER: settings.handler ?? 'noop',
    ...(settings.grace ? { TW_GRACE: settings.grace } : {}),
  })
}

/** Starts `n` workers alike and waits until each printed 'ready'. */
export async function startWorkers(n: number, settings: ChildSettings): Promise<Child[]> {
  const started = Array.from({ length: n }, () => startChild(settings))
  await Promise.all(started.map((c) => c.printed('ready')))
  return started
}

/** Stops every child gracefully (SIGTERM) and checks each exited 0 and reported no error. */
export async function stopAll(list: Child[], timeoutMs = 20_000): Promise<void> {
  for (const c of list) c.kill('SIGTERM')
  for (const c of list) {
    const exit = await c.exitWithin(timeoutMs)
    if (exit.code !== 0 || c.stderr !== '')
      throw new Error(
        `process ${c.pid} exited ${JSON.stringify(exit)}; stderr:\n${c.stderr || '(empty)'}`,
      )
  }
}

afterEach(async () => {
  const left = [...children]
  children.clear()
  for (const c of left) c.kill('SIGKILL')
  await Promise.all(left.map((c) => c.exited))
})

// should the test process itself go down, take the children with it
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

/**
 * A fresh schema, migrated, with the `executions` table the fixture writes, and a
 * Tickwork in this process (never started) to enqueue and inspect runs. The job is
 * defined here with the same options the workers get, as enqueue copies the retry
 * policy into each run.
 */
export async function setup(db: pg.Client, jobOptions: Omit<JobOptions, 'run'> = {}, job = 'work') {
  const schema = freshSchema()
  const tw = makeTickwork({ schema })
  const handle = tw.job(job, {
    ...jobOptions,
    run: () => {
      throw new Error('the test process runs no handler')
    },
  })
  await tw.migrate()
  await db.query(`CREATE TABLE "${schema}".executions (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL,
    attempt integer NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz
  )`)
  return { schema, tw, job: handle }
}

/**
 * Resolves when `predicate` holds, polling every `everyMs`; on timeout rejects with
 * what `explain` says of the state then (counts, output of the children…).
 */
export async function eventually(
  what: string,
  predicate: () => Promise<boolean>,
  timeoutMs: number,
  explain: () => Promise<unknown>,
  everyMs = 25,
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > end) {
      const state = await explain().catch((err: Error) => `(explain failed: ${err.message})`)
      throw new Error(`${what}: not within ${timeoutMs} ms; state: ${JSON.stringify(state)}`)
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** What the children said, for failure messages. */
export const outputs = (list: Child[]) =>
  list.map((c) => ({ pid: c.pid, exit: c.exit, stdout: c.stdout, stderr: c.stderr.slice(0, 800) }))

/** One row per execution, oldest first. */
export interface Execution {
  run_id: string
  attempt: number
  pid: number
  started_at: Date
  ended_at: Date | null
}

export async function executions(db: pg.Client, schema: string): Promise<Execution[]> {
  const { rows } = await db.query<Execution>(
    `SELECT run_id::text, attempt, pid, started_at, ended_at
     FROM "${schema}".executions ORDER BY started_at, id`,
  )
  return rows
}
