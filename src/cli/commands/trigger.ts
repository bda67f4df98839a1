import type { Command } from 'commander'
import { jsonArg } from '../args.js'
import { type ConnectionFlags, connectionOptions, withOperator } from '../context.js'
import { EXIT } from '../errors.js'
import { between, pretty, print, printJson } from '../output.js'

type Flags = ConnectionFlags & { payload?: unknown; wait?: boolean; json?: boolean }

/** `trigger`. */
export function registerTrigger(program: Command): void {
  connectionOptions(
    program
      .command('trigger')
      .summary('run a job now (--wait: and wait for its end)')
      .argument('<job>', 'the job to run')
      .description(
        "run a job now, whatever its schedule (source 'manual'); a windowed job processes from its watermark to now minus lookback. Needs the job's definition: a config module, or --url",
      ),
  )
    .option('--payload <json>', "the payload, as JSON (checked by the job's schema)", jsonArg)
    .option(
      '--wait',
      'run it here (with --url: in the server) and wait for its end; exit code 1 unless it completed',
    )
    .option('--json', 'print {"id", "created", "run"?} as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 enqueued (or, with --wait, completed); 1 the waited run failed or was
cancelled; 2 a bad payload; 3 an unknown job; 4 a window run of the job is unfinished.

Examples:
  $ tickwork trigger daily-report
  $ tickwork trigger greet --payload '{"name":"Ada"}' --wait
  $ tickwork trigger vc-processing --wait --url https://tickwork.internal --token "$TOKEN"`,
    )
    .action((job: string, o: Flags) =>
      withOperator(o, async (op) => {
        const made = await op.trigger(job, o.payload ?? null, o.wait === true)
        const run = made.run
        if (run && run.state !== 'completed') process.exitCode = EXIT.failed
        if (o.json) return printJson(made)
        if (!run) return print(`enqueued run ${made.id} of ${job}`)
        const took = between(run.startedAt, run.finishedAt)
        if (run.state === 'completed')
          return print(
            `run ${run.id} of ${job} completed in ${took}; result: ${pretty(run.result)}`,
          )
        const last = run.errors.at(-1)
        print(
          `run ${run.id} of ${job} ${run.state} after ${run.attempt} attempt${run.attempt === 1 ? '' : 's'}${last ? `: ${last.name}: ${last.message}` : ''}`,
        )
      }),
    )
}
