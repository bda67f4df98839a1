// The executions children report (lib/child.mjs's JSON lines), gathered per run, and the
// verdict on each run executed more than once: explained by a SIGKILL of the process
// that held it, by the Postgres restart window, or not at all.

/**
 * Collects a fleet's lines: `add(msg, inc)` as the Fleet's onLine. Per run id: its
 * executions `{ pid, inc, a, t, job, tick, wf, wt, end }` (`end`: `{ ok, err, t }` once
 * the handler returned or threw) and the outcomes processes wrote `{ kind, a, pid, t }`
 * ('done', 'retry', 'failed', 'stalled').
 */
export class Ledger {
  /** run id → { execs: [], outcomes: [] } */
  runs = new Map()
  /** counts of every line kind */
  kinds = new Map()
  errors = []
  ticks = []

  add(msg, inc) {
    this.kinds.set(msg.e, (this.kinds.get(msg.e) ?? 0) + 1)
    switch (msg.e) {
      case 'start': {
        this.#run(msg.id).execs.push({
          pid: inc.pid,
          inc,
          a: msg.a,
          t: msg.t,
          job: msg.job,
          tick: msg.tick,
          wf: msg.wf,
          wt: msg.wt,
          end: null,
        })
        break
      }
      case 'end': {
        const exec = this.#run(msg.id).execs.findLast(
          (x) => x.pid === inc.pid && x.a === msg.a && !x.end,
        )
        if (exec) exec.end = { ok: msg.ok, err: msg.err, t: msg.t }
        break
      }
      case 'done':
      case 'retry':
      case 'failed':
      case 'stalled':
        this.#run(msg.id).outcomes.push({ kind: msg.e, a: msg.a, pid: inc.pid, t: msg.t })
        break
      case 'error':
        this.errors.push({ pid: inc.pid, name: inc.name, t: msg.t, m: msg.m })
        break
      case 'tick':
        this.ticks.push({ ...msg, pid: inc.pid })
        break
    }
  }

  #run(id) {
    let r = this.runs.get(id)
    if (!r) {
      r = { execs: [], outcomes: [] }
      this.runs.set(id, r)
    }
    return r
  }

  /** Every execution recorded, of one job or all. */
  executions(job) {
    const out = []
    for (const [id, r] of this.runs)
      for (const x of r.execs) if (!job || x.job === job) out.push({ id, ...x })
    return out
  }

  /**
   * Each run executed again when its previous execution had not ended with a written
   * outcome that asks for another (a retry its own worker scheduled): a duplicate.
   * A duplicate is explained by 'kill' when the previous execution's process was
   * SIGKILLed after it started and before the next began, or by 'restart' when the
   * previous execution started before the Postgres server was back from a restart and
   * the next one after that restart began; otherwise it is 'unexplained'. A run
   * executed after its completion was written is explained only by a crash restart
   * (`crash`: the server stopped without a checkpoint, which may undo commits made
   * without waiting for the WAL flush). `restarts`: `[{ stoppedAt, readyAt, crash }]`. Returns `{ duplicates, runs }`: every
   * duplicate `{ id, job, prev, next, why }` and the number of runs with any.
   */
  duplicates({ restarts = [] } = {}) {
    const duplicates = []
    const dupRuns = new Set()
    for (const [id, r] of this.runs) {
      const execs = [...r.execs].sort((x, y) => x.t - y.t)
      for (let k = 1; k < execs.length; k++) {
        const prev = execs[k - 1]
        const next = execs[k]
        const wrote = (kind) =>
          r.outcomes.some((o) => o.kind === kind && o.a === prev.a && o.pid === prev.pid)
        // a failed attempt whose retry its worker wrote: the next execution is by design
        if (prev.end && !prev.end.ok && wrote('retry') && next.a > prev.a) continue
        const completed = wrote('done')
        const killed = prev.inc.killedAt
        let why = 'unexplained'
        if (!completed && killed !== null && killed >= prev.t && killed <= next.t) why = 'kill'
        else if (
          restarts.some(
            (w) => prev.t <= w.readyAt && next.t >= w.stoppedAt && (!completed || w.crash),
          )
        )
          why = 'restart'
        duplicates.push({ id, job: prev.job, prev, next, why, completed })
        dupRuns.add(id)
      }
    }
    return { duplicates, runs: dupRuns.size }
  }
}

/** One line describing an execution, for a failure's detail. */
export function describeExec(x) {
  const end = x.end ? `${x.end.ok ? 'ok' : `threw ${x.end.err}`} at ${iso(x.end.t)}` : 'no end'
  const kill = x.inc.killedAt ? `, pid killed at ${iso(x.inc.killedAt)}` : ''
  return `pid ${x.pid} (${x.inc.name}) attempt ${x.a} started ${iso(x.t)}, ${end}${kill}`
}

const iso = (t) => new Date(t).toISOString().slice(11, 23)
