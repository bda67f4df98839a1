import { type Command, Option } from 'commander'
import type { Run } from '../../queue/types.js'
import { RUN_STATES } from '../../queue/types.js'
import { intArg, timeArg } from '../args.js'
import { type ConnectionFlags, connectionOptions, withOperator } from '../context.js'
import { UsageError } from '../errors.js'
import { between, fields, iso, pretty, print, printJson, table, type Wire } from '../output.js'

/** A run's details for people: state, timing, source, payload, result, progress, every error. */
export function printRun(r: Wire<Run>): void {
  fields([
    ['run', r.id],
    ['job', r.job],
    ['state', r.state],
    ['attempt', `${r.attempt} of ${r.maxAttempts}`],
    ['source', r.source + (r.backfill ? ` (backfill ${r.backfill})` : '')],
    ['key', r.key ?? '-'],
    ['priority', r.priority],
    ['created', iso(r.createdAt)],
    ['run at', iso(r.runAt)],
    ['started', iso(r.startedAt)],
    ['finished', iso(r.finishedAt)],
    ['duration', between(r.startedAt, r.finishedAt)],
    ['tick', iso(r.tick)],
    ['window', r.window ? `${iso(r.window.from)} .. ${iso(r.window.to)}` : '-'],
    ['payload', pretty(r.payload)],
    ['result', pretty(r.result)],
    ['progress', pretty(r.progress)],
    ['errors', r.errors.length],
  ])
  for (const e of r.errors) {
    const head = `${e.name}: ${e.message}`
    print(`\nattempt ${e.attempt} failed at ${e.at}: ${head}`)
    // a stack starts with the name and message just printed
    const stack = e.stack?.startsWith(head)
      ? e.stack.slice(head.length).replace(/^\n/, '')
      : e.stack
    if (stack) print(stack)
  }
}

type ListFlags = ConnectionFlags & {
  job?: string
  state?: Run['state']
  limit?: number
  cursor?: string
  json?: boolean
}

/** `runs`, `run`, `retry` and `cancel`. */
export function registerRuns(program: Command): void {
  connectionOptions(
    program
      .command('runs')
      .summary('list runs, newest first')
      .description('list runs, newest first'),
  )
    .option('--job <job>', 'only this job')
    .addOption(new Option('--state <state>', 'only runs in this state').choices(RUN_STATES))
    .option('--limit <n>', 'at most this many (1-1000, default 50)', intArg(1, 1000))
    .option('--cursor <id>', "the page after this one: the 'next' an earlier page gave")
    .option('--json', 'print {"runs": [...], "next"?: id} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tickwork runs --job daily-report --state failed
  $ tickwork runs --json --limit 200 | jq -r '.runs[].id'`,
    )
    .action((o: ListFlags) =>
      withOperator(o, async (op) => {
        const page = await op.runs({ job: o.job, state: o.state, limit: o.limit, cursor: o.cursor })
        if (o.json) return printJson(page)
        table(
          ['id', 'job', 'state', 'attempt', 'source', 'created', 'duration'],
          page.runs.map((r) => [
            r.id,
            r.job,
            r.state,
            `${r.attempt}/${r.maxAttempts}`,
            r.source,
            iso(r.createdAt),
            between(r.startedAt, r.finishedAt),
          ]),
          'no runs',
        )
        if (page.next) print(`\nmore: --cursor ${page.next}`)
      }),
    )

  connectionOptions(
    program
      .command('run')
      .summary('show one run in full')
      .argument('<id>', 'the run id')
      .description(
        "show a run: state, payload, result, progress, each attempt's error with its stack, timing, source",
      ),
  )
    .option('--json', 'print the run as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ tickwork run 1042\n  $ tickwork run 1042 --json | jq .errors',
    )
    .action((id: string, o: ConnectionFlags & { json?: boolean }) =>
      withOperator(o, async (op) => {
        const r = await op.run(id)
        if (o.json) printJson(r)
        else printRun(r)
      }),
    )

  connectionOptions(
    program
      .command('retry')
      .summary('put a failed run (or all, with --failed) back in the queue')
      .argument('[id]', 'the failed run to put back')
      .description(
        'put a failed run back in the queue (attempts reset, errors kept); with --failed, every failed run matching the filters',
      ),
  )
    .option('--failed', 'retry every failed run (of --job, failed within [--from, --to))')
    .option('--job <job>', 'with --failed: only this job')
    .option('--from <time>', 'with --failed: failed at or after this ISO time', timeArg)
    .option('--to <time>', 'with --failed: failed before this ISO time', timeArg)
    .option('--json', 'print the run (or {"retried": [ids]}) as JSON')
    .addHelpText(
      'after',
      `
Exit code 4 when the run is not failed, 3 when it does not exist.

Examples:
  $ tickwork retry 1042
  $ tickwork retry --failed --job blockchain-write --from 2026-01-30T00:00:00Z`,
    )
    .action(
      (
        id: string | undefined,
        o: ConnectionFlags & {
          failed?: boolean
          job?: string
          from?: string
          to?: string
          json?: boolean
        },
      ) => {
        if ((id === undefined) === !o.failed)
          throw new UsageError('give a run id, or --failed (with --job, --from, --to), not both')
        if (id !== undefined && (o.job || o.from || o.to))
          throw new UsageError('--job, --from and --to go with --failed, not with a run id')
        return withOperator(o, async (op) => {
          if (id !== undefined) {
            const r = await op.retry(id)
            return o.json ? printJson(r) : print(`run ${r.id} (${r.job}) is ${r.state} again`)
          }
          const retried = await op.retryFailed({ job: o.job, from: o.from, to: o.to })
          if (o.json) return printJson({ retried })
          print(
            `retried ${retried.length} failed run${retried.length === 1 ? '' : 's'}${retried.length ? `: ${retried.join(', ')}` : ''}`,
          )
        })
      },
    )

  connectionOptions(
    program
      .command('cancel')
      .summary('cancel a waiting or active run')
      .argument('<id>', 'the run id')
      .description("cancel a waiting, delayed or active run (an active handler's signal aborts)"),
  )
    .option('--json', 'print the run as JSON')
    .addHelpText(
      'after',
      '\nExit code 4 when the run has already ended, 3 when it does not exist.\n\nExamples:\n  $ tickwork cancel 1042',
    )
    .action((id: string, o: ConnectionFlags & { json?: boolean }) =>
      withOperator(o, async (op) => {
        const r = await op.cancel(id)
        if (o.json) printJson(r)
        else print(`run ${r.id} (${r.job}) is ${r.state}`)
      }),
    )
}
