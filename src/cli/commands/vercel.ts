import type { Command } from 'commander'
import { connectionOptions, noConfig, openTickwork, settingsOf } from '../context.js'
import { UsageError } from '../errors.js'
import { note, printJson } from '../output.js'

// Vercel takes 5 fields only; the nicknames croner knows, spelled out
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

/** `vercel-json`. */
export function registerVercel(program: Command): void {
  connectionOptions(
    program
      .command('vercel-json')
      .summary("print vercel.json crons for the config's UTC schedules")
      .description(
        'print the "crons" of a vercel.json for the config\'s scheduled jobs: each calls /trigger/<job>?wait=1 on its schedule. Vercel cron is UTC and minute-grained: a job with seconds or another time zone is reported on stderr and left out',
      ),
    { remote: false },
  )
    .addHelpText(
      'after',
      `
The schedules are those the config declares (vercel.json is deployed with the code);
no database is opened. Each path has ?wait=1: a Vercel function has no worker that
lives on, so the call runs the job and answers when it ended. The server needs CRON_SECRET set: Vercel sends it as the
bearer token.

Examples:
  $ tickwork vercel-json > vercel.json
  $ tickwork vercel-json --config ./jobs/tickwork.config.ts | jq '.crons | length'`,
    )
    .action(async (o: { database?: string; schema?: string; config?: string }) => {
      const s = settingsOf(o)
      process.env.LOG_LEVEL = 'silent'
      const { tw, config } = await openTickwork(s, false)
      try {
        if (!config)
          throw new UsageError(`vercel-json needs the job definitions, but ${noConfig('')}`)
        const crons: Array<{ path: string; schedule: string }> = []
        for (const job of tw.jobs.definitions()) {
          if (!job.schedule) continue
          const { cron, timezone } = job.schedule
          const schedule = NICKNAMES[cron.trim()] ?? cron.trim()
          if (schedule.split(/\s+/).length !== 5)
            note(`left out ${job.name}: '${cron}' has a seconds field; Vercel cron is per minute`)
          else if (timezone !== 'UTC' && timezone !== 'Etc/UTC')
            note(`left out ${job.name}: its schedule is in ${timezone}; Vercel cron runs in UTC`)
          else crons.push({ path: `/trigger/${encodeURIComponent(job.name)}?wait=1`, schedule })
        }
        printJson({ crons })
      } finally {
        await tw.stop()
      }
    })
}
