// Child processes of a reliability run: spawned, SIGKILLed, restarted, each incarnation
// (one pid) kept with when it lived and how it ended, and every JSON line it printed on
// stdout handed to the caller with the incarnation it came from.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'

/**
 * A set of named child processes. `onLine(msg, inc)` gets each JSON line a child prints
 * (non-JSON lines go to `onText`); `inc` is the incarnation: `{ name, role, pid, seq,
 * spawnedAt, readyAt, endedAt, killedAt, stopRequestedAt, escalated, code, signal }`
 * (times in epoch ms).
 */
export class Fleet {
  /** every incarnation, in spawn order */
  incarnations = []
  /** name → its current incarnation */
  #current = new Map()
  #specs = new Map()
  #exits = new Map()

  constructor({ onLine = () => {}, onText = () => {}, onExit = () => {} } = {}) {
    this.onLine = onLine
    this.onText = onText
    this.onExit = onExit
  }

  /**
   * Starts process `name` (`role` is a label for reports) as `command args`; a name
   * already known is started again with its spec. Resolves with the incarnation once
   * the child printed `{"e":"ready"}`, or rejects if it exits first or within `readyMs`.
   */
  async start(name, spec) {
    if (spec) this.#specs.set(name, spec)
    const s = this.#specs.get(name)
    if (!s) throw new Error(`no process named ${name}`)
    const proc = spawn(s.command ?? process.execPath, s.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...s.env },
    })
    const inc = {
      name,
      role: s.role ?? name,
      pid: proc.pid,
      seq: this.incarnations.filter((i) => i.name === name).length,
      spawnedAt: Date.now(),
      readyAt: null,
      endedAt: null,
      killedAt: null,
      stopRequestedAt: null,
      escalated: false,
      code: null,
      signal: null,
      proc,
    }
    this.incarnations.push(inc)
    this.#current.set(name, inc)
    let ready
    let failed
    const readyP = new Promise((resolve, reject) => {
      ready = resolve
      failed = reject
    })
    const lines = createInterface({ input: proc.stdout })
    lines.on('line', (line) => {
      let msg
      try {
        msg = JSON.parse(line)
      } catch {
        this.onText(line, inc)
        return
      }
      if (msg?.e === 'ready' && inc.readyAt === null) {
        inc.readyAt = Date.now()
        ready(inc)
      }
      this.onLine(msg, inc)
    })
    createInterface({ input: proc.stderr }).on('line', (line) => this.onText(line, inc, 'stderr'))
    // 'close': the process exited and its stdout was read to the end
    const exited = new Promise((resolve) =>
      proc.on('close', (code, signal) => {
        inc.endedAt = Date.now()
        inc.code = code
        inc.signal = signal
        failed(new Error(`${name} (pid ${inc.pid}) exited (${signal ?? code}) before it was ready`))
        this.onExit(inc)
        resolve(inc)
      }),
    )
    this.#exits.set(inc, exited)
    const timer = setTimeout(
      () => failed(new Error(`${name} not ready within ${s.readyMs ?? 60_000} ms`)),
      s.readyMs ?? 60_000,
    )
    try {
      return await readyP
    } finally {
      clearTimeout(timer)
    }
  }

  /** The live incarnation of `name`, if any. */
  current(name) {
    const inc = this.#current.get(name)
    return inc && inc.endedAt === null ? inc : undefined
  }

  /** Names of the processes now running. */
  alive() {
    return [...this.#current.values()].filter((i) => i.endedAt === null).map((i) => i.name)
  }

  /** SIGKILLs `name`; resolves with its incarnation once it exited (its output read). */
  async kill(name) {
    const inc = this.current(name)
    if (!inc) return undefined
    inc.killedAt = Date.now()
    inc.proc.kill('SIGKILL')
    return this.#exits.get(inc)
  }

  /** SIGKILL, then start again with the same spec; resolves with the new incarnation. */
  async restart(name) {
    const old = await this.kill(name)
    const inc = await this.start(name)
    return { old, inc }
  }

  /**
   * Sends `signal` (SIGTERM: a graceful stop) and waits up to `ms`; SIGKILLs past that
   * (the incarnation then says `escalated`). Sets `stopRequestedAt`.
   */
  async stop(name, { signal = 'SIGTERM', ms = 30_000 } = {}) {
    const inc = this.current(name)
    if (!inc) return undefined
    inc.stopRequestedAt = Date.now()
    inc.proc.kill(signal)
    const exited = this.#exits.get(inc)
    const timer = setTimeout(() => {
      inc.killedAt = Date.now()
      inc.escalated = true
      inc.proc.kill('SIGKILL')
    }, ms)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Stops every live process (in parallel), as `stop` does. */
  stopAll(options) {
    return Promise.all(this.alive().map((n) => this.stop(n, options)))
  }

  /** SIGKILLs every live process: the cleanup of an aborted run. */
  killAll() {
    for (const name of this.alive()) {
      const inc = this.current(name)
      inc.killedAt ??= Date.now()
      inc.proc.kill('SIGKILL')
    }
  }

  /** The incarnation whose pid is `pid`. */
  byPid(pid) {
    return this.incarnations.find((i) => i.pid === pid)
  }

  /**
   * Memory of every live process, read from /proc/<pid>/status (Linux): `[{ name, role,
   * pid, at, rssMB }]`. Children can also report their own `process.memoryUsage()` (the
   * child's `--mem-every` option): heap as well as RSS.
   */
  async sampleMemory() {
    const at = Date.now()
    const out = []
    for (const name of this.alive()) {
      const inc = this.current(name)
      const rssMB = await rssOf(inc.pid)
      if (rssMB !== undefined) out.push({ name, role: inc.role, pid: inc.pid, at, rssMB })
    }
    return out
  }

  /** Calls `sampleMemory()` every `ms`, handing each sample to `onSample`; returns a stop function. */
  sampleMemoryEvery(ms, onSample) {
    const timer = setInterval(async () => onSample(await this.sampleMemory()), ms)
    timer.unref()
    return () => clearInterval(timer)
  }
}

/** Resident memory of `pid` in MB, from /proc; undefined when it cannot be read. */
export async function rssOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return kb ? Number(kb[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}
