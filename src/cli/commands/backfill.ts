import type { Command } from 'commander'
import type { BackfillStatus } from '../../backfill/backfill.js'
import { intArg, jsonArg, timeArg } from '../args.js'
import { type ConnectionFlags, connectionOptions, withOperator } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import { iso, print, printJson, type Wire } from '../output.js'
import { backfillProgress } from '../progress.js'

type Flags = ConnectionFlags & {
  from: string
  to: string
  concurrency?: number
  payload?: unknown
  wait: boolean
  work?: boolean
  json?: boolean
}

const summary = (s: Wire<BackfillStatus>) =>
  `backfill ${s.id} of ${s.job} [${iso(s.from)}, ${iso(s.to)}) ${s.state}: ${s.total} ticks, ${s.enqueued} enqueued, ${s.existing} existing, ${s.completed} completed, ${s.failed} failed, ${s.cancelled} cancelled`

/** `backfill`. */
export function registerBackfill(program: Command): void {
  connectionOptions(
    program
      .command('backfill')
      .summary('run a job for every tick of its schedule in a range')
      .argument('<job>', 'a scheduled job')
      .description(
        "run a job once for every tick of its schedule in [--from, --to), oldest first; ticks that already ran are left alone, so repeating a backfill adds nothing. Follows it to its end, with progress on stderr. Needs the job's definition: a config module, or --url",
      ),
  )
    .requiredOption('--from <time>', 'the first tick, ISO time (inclusive)', timeArg)
    .requiredOption('--to <time>', 'the end, ISO time (exclusive; not in the future)', timeArg)
    .option('--concurrency <n>', 'runs unfinished at once (1-1000, default 5)', intArg(1, 1000))
    .option('--payload <json>', 'the payload of every run, as JSON', jsonArg)
    .option('--no-wait', 'start it and exit; any process running the scheduler carries it on')
    .option(
      '--work',
      'run a worker here while waiting (direct only), for deployments with no long-lived worker; it works runs of every job the config defines',
    )
    .option('--json', 'print the final status (or, with --no-wait, the first) as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 done with no tick failed (or started, with --no-wait); 1 some tick's run
failed; 2 a bad range; 3 an unknown job or one without a schedule.

Examples:
  $ tickwork backfill daily-report --from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z
  $ tickwork backfill vc-processing --from 2026-01-30T00:00:00Z --to 2026-01-31T00:00:00Z --work
  $ tickwork backfill daily-report --from 2026-01-01 --to 2026-01-08 --no-wait --json`,
    )
    .action((job: string, o: Flags) => {
      if (o.work && !o.wait) throw new UsageError('--work works runs while waiting: drop --no-wait')
      return withOperator(o, async (op) => {
        if (o.work) {
          if (!op.work)
            throw new UsageError('--work runs a worker here: it needs the database, not --url')
          await op.work()
        }
        const started = await op.backfill(job, {
          from: o.from,
          to: o.to,
          concurrency: o.concurrency,
          payload: o.payload,
        })
        if (!o.wait) return o.json ? printJson(started) : print(summary(started))
        const bar = backfillProgress()
        const final = await op.waitBackfill(started.id, (s) => bar.update(s))
        bar.done()
        if (final.failed > 0) process.exitCode = EXIT.failed
        if (o.json) printJson(final)
        else print(summary(final))
      })
    })
}
