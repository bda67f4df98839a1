import type { Command } from 'commander'
import type { JobInfo } from '../../client/jobs.js'
import { type ConnectionFlags, connectionOptions, withOperator } from '../context.js'
import { iso, ms, percent, printJson, table, type Wire } from '../output.js'

type Flags = ConnectionFlags & { json?: boolean }

const scheduleText = (s: Wire<JobInfo>['schedule']) =>
  s ? `${s.cron}${s.timezone === 'UTC' ? '' : ` ${s.timezone}`}${s.paused ? ' (paused)' : ''}` : '-'

/** A job's numbers for `stats`: backlog now, outcomes over the last 24 hours. */
function statsOf(j: Wire<JobInfo>) {
  return {
    job: j.name,
    waiting: j.backlog.waiting,
    delayed: j.backlog.delayed,
    active: j.backlog.active,
    completed: j.recent.completed,
    failed: j.recent.failed,
    successRate: j.recent.successRate,
    meanDurationMs: j.recent.meanDurationMs,
  }
}

type Stats = ReturnType<typeof statsOf>

function totalOf(rows: Stats[]): Omit<Stats, 'job'> {
  const sum = (k: 'waiting' | 'delayed' | 'active' | 'completed' | 'failed') =>
    rows.reduce((n, r) => n + r[k], 0)
  const completed = sum('completed')
  const failed = sum('failed')
  // the mean over every completed run, not the mean of the jobs' means
  const weighted = rows.reduce((n, r) => n + (r.meanDurationMs ?? 0) * r.completed, 0)
  return {
    waiting: sum('waiting'),
    delayed: sum('delayed'),
    active: sum('active'),
    completed,
    failed,
    successRate: completed + failed > 0 ? completed / (completed + failed) : null,
    meanDurationMs: completed > 0 ? weighted / completed : null,
  }
}

/** `jobs` and `stats`. */
export function registerJobs(program: Command): void {
  connectionOptions(
    program
      .command('jobs')
      .summary('list jobs with schedule, backlog and last run')
      .description(
        'list the jobs: those the config defines and those the database knows, with schedule, next fire time, backlog and last run',
      ),
  )
    .option('--json', 'print {"jobs": [...]} as JSON (each job as GET /api/jobs/:job gives it)')
    .addHelpText(
      'after',
      `
Examples:
  $ tickwork jobs
  $ tickwork jobs --json | jq '.jobs[] | select(.schedule.paused)'
  $ tickwork jobs --url https://tickwork.internal --token "$TOKEN"`,
    )
    .action((o: Flags) =>
      withOperator(o, async (op) => {
        const jobs = await op.jobs()
        if (o.json) return printJson({ jobs })
        table(
          ['job', 'defined', 'schedule', 'next', 'waiting', 'active', 'failed 24h', 'last run'],
          jobs.map((j) => [
            j.name,
            j.definition ? 'yes' : 'no',
            scheduleText(j.schedule),
            iso(j.schedule?.next[0]),
            j.backlog.waiting + j.backlog.delayed,
            j.backlog.active,
            j.recent.failed,
            j.lastRun ? `${j.lastRun.state} ${iso(j.lastRun.finishedAt)}` : '-',
          ]),
          'no jobs: none defined in the config, none in the database',
        )
      }),
    )

  connectionOptions(
    program
      .command('stats')
      .summary('per-job backlog and 24 h outcomes, with totals')
      .description(
        'per job: runs waiting, delayed and active now; completed and failed over the last 24 h, success rate, mean duration; and the totals',
      ),
  )
    .option('--json', 'print {"jobs": [...], "total": {...}} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tickwork stats
  $ tickwork stats --json | jq .total.failed`,
    )
    .action((o: Flags) =>
      withOperator(o, async (op) => {
        const rows = (await op.jobs()).map(statsOf)
        const total = totalOf(rows)
        if (o.json) return printJson({ jobs: rows, total })
        const line = (job: string, r: Omit<Stats, 'job'>) => [
          job,
          r.waiting,
          r.delayed,
          r.active,
          r.completed,
          r.failed,
          percent(r.successRate),
          ms(r.meanDurationMs),
        ]
        table(
          ['job', 'waiting', 'delayed', 'active', 'completed 24h', 'failed 24h', 'success', 'mean'],
          rows.length ? [...rows.map((r) => line(r.job, r)), line('total', total)] : [],
          'no jobs yet',
        )
      }),
    )
}
