// The verdict of a reliability run: a table of checks (name, expected, observed, ok),
// figures beside them, and the exit code (1 when any check failed).
import { table } from '../../bench/util.mjs'

export class Report {
  checks = []
  figures = []

  /** Records a check; `ok` decides pass or fail; `detail` lines are printed under a failure. */
  check(name, expected, observed, ok, detail = []) {
    this.checks.push({
      name,
      expected: String(expected),
      observed: String(observed),
      ok: !!ok,
      detail,
    })
    return !!ok
  }

  /** Records a figure (no verdict): throughput, kills, restarts… */
  figure(name, value) {
    this.figures.push([name, String(value)])
  }

  get failed() {
    return this.checks.filter((c) => !c.ok)
  }

  /** The checks' table as text (Markdown, as docs/reliability.md shows it). */
  checksTable() {
    return table(
      [
        { title: 'check', align: 'left' },
        { title: 'expected', align: 'left' },
        { title: 'observed', align: 'left' },
        { title: 'ok', align: 'left' },
      ],
      this.checks.map((c) => [c.name, c.expected, c.observed, c.ok ? 'PASS' : 'FAIL']),
    )
  }

  figuresTable() {
    return table(
      [
        { title: 'figure', align: 'left' },
        { title: 'value', align: 'left' },
      ],
      this.figures,
    )
  }

  /** Prints both tables and each failure's detail; sets process.exitCode (0 or 1). */
  print(out = console.log) {
    out(`\n${this.checksTable()}\n`)
    if (this.figures.length) out(`${this.figuresTable()}\n`)
    for (const c of this.failed) {
      out(`FAIL ${c.name}: expected ${c.expected}, observed ${c.observed}`)
      for (const d of c.detail.slice(0, 20)) out(`    ${d}`)
      if (c.detail.length > 20) out(`    … ${c.detail.length - 20} more`)
    }
    out(this.failed.length ? `${this.failed.length} check(s) FAILED` : 'all checks passed')
    process.exitCode = this.failed.length ? 1 : 0
    return this.failed.length === 0
  }
}
