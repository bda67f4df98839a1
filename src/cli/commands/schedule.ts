import type { Command } from 'commander'
import type { ScheduleInfo } from '../../schedule/control.js'
import { timeArg } from '../args.js'
import { type ConnectionFlags, connectionOptions, withOperator } from '../context.js'
import type { Operator } from '../operator.js'
import { fields, iso, print, printJson, type Wire } from '../output.js'

type Json = ConnectionFlags & { json?: boolean }

/** A schedule and its next fire times, for people or as JSON. */
async function show(op: Operator, job: string, s: Wire<ScheduleInfo> | null, json?: boolean) {
  const next = await op.next(job, 5)
  if (json) return printJson({ job, schedule: s, next })
  if (s)
    fields([
      ['job', job],
      ['cron', s.cron],
      ['timezone', s.timezone],
      ['paused', s.paused ? 'yes' : 'no'],
      ['from', s.declared ? 'the code' : 'a change at runtime'],
      ['updated', iso(s.updatedAt)],
    ])
  else print(`${job}: declared in the config, stored at the first start`)
  print(next.length ? `next:\n${next.map((t) => `  ${t}`).join('\n')}` : 'next: none (paused)')
}

/** `schedule`, `pause`, `resume` and `watermark`. */
export function registerSchedule(program: Command): void {
  connectionOptions(
    program
      .command('schedule')
      .summary("show or change a job's schedule, with its next 5 fire times")
      .argument('<job>', 'a job')
      .description(
        "show a job's schedule and its next 5 fire times; with --cron or --timezone, change it at runtime (audited; every scheduler follows without a restart)",
      ),
  )
    .option(
      '--cron <expr>',
      "the new cron expression: 5 fields, 6 with seconds first, or '@daily'…",
    )
    .option('--timezone <zone>', "the new IANA time zone, e.g. 'Europe/London'")
    .option('--json', 'print {"job", "schedule", "next": [...]} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tickwork schedule daily-report
  $ tickwork schedule daily-report --cron '0 22 * * *' --timezone Asia/Kolkata`,
    )
    .action((job: string, o: Json & { cron?: string; timezone?: string }) =>
      withOperator(o, async (op) => {
        const changing = o.cron !== undefined || o.timezone !== undefined
        const s = changing
          ? await op.updateSchedule(job, { cron: o.cron, timezone: o.timezone })
          : (await op.job(job)).schedule
        await show(op, job, s, o.json)
      }),
    )

  for (const [name, verb] of [
    ['pause', 'no tick is handled until resume, and none is caught up then; queued runs go on'],
    ['resume', 'ticks are handled again, from the next one after now'],
  ] as const) {
    connectionOptions(
      program
        .command(name)
        .summary(`${name} a job's schedule`)
        .argument('<job>', 'a scheduled job')
        .description(`${name} a job's schedule (audited): ${verb}`),
    )
      .option('--json', 'print {"job", "schedule", "next": [...]} as JSON')
      .addHelpText(
        'after',
        `\nExit code 3 when the job has no stored schedule.\n\nExamples:\n  $ tickwork ${name} daily-report`,
      )
      .action((job: string, o: Json) =>
        withOperator(o, async (op) => {
          const s = name === 'pause' ? await op.pause(job) : await op.resume(job)
          await show(op, job, s, o.json)
        }),
      )
  }

  connectionOptions(
    program
      .command('watermark')
      .summary("show or move a windowed job's watermark")
      .argument('<job>', 'a windowed job')
      .description(
        "show where a windowed job's next window starts; with --set, move it (audited; moving it back redoes those windows)",
      ),
  )
    .option('--set <time>', 'the new watermark, an ISO time', timeArg)
    .option('--json', 'print {"job", "watermark"} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tickwork watermark vc-processing
  $ tickwork watermark vc-processing --set 2026-01-30T10:00:00Z`,
    )
    .action((job: string, o: Json & { set?: string }) =>
      withOperator(o, async (op) => {
        const watermark =
          o.set === undefined ? await op.watermark(job) : await op.setWatermark(job, o.set)
        if (o.json) return printJson({ job, watermark })
        print(
          watermark ? `${job}: ${watermark}` : `${job}: no watermark yet (before its first window)`,
        )
      }),
    )
}
