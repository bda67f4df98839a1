#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerBackfill } from './commands/backfill.js'
import { registerJobs } from './commands/jobs.js'
import { registerLocks } from './commands/locks.js'
import { registerMigrate } from './commands/migrate.js'
import { registerRuns } from './commands/runs.js'
import { registerSchedule } from './commands/schedule.js'
import { registerStart } from './commands/start.js'
import { registerTrigger } from './commands/trigger.js'
import { registerVercel } from './commands/vercel.js'
import { describeError, EXIT, exitCodeOf } from './errors.js'
import { note } from './output.js'

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string }

// exitOverride before the commands: each inherits it, so usage errors throw here
// instead of exiting with commander's code 1
const program = new Command('tickwork')
  .description('cron schedules and durable background jobs on Postgres')
  .version(version)
  .exitOverride()
  .showHelpAfterError('(add --help for usage)')

// a config module loads for every command: this tells it which, so demo feeders and the
// like start only where the jobs run (`start`), not for `tickwork jobs`
program.hook('preAction', (_program, action) => {
  process.env.TICKWORK_COMMAND = action.name()
})

registerStart(program)
registerMigrate(program)
registerJobs(program)
registerRuns(program)
registerTrigger(program)
registerBackfill(program)
registerSchedule(program)
registerLocks(program)
registerVercel(program)

program.addHelpText(
  'after',
  `
Each command works on the database (--database or DATABASE_URL, with the jobs of the
config module: tickwork.config.ts, .js or .mjs here, or --config), or through a server
with --url (or TICKWORK_URL) and --token (or TICKWORK_API_TOKEN).

Exit codes: 0 ok; 1 an unexpected error, or a run (or backfill) waited for failed;
2 bad usage or invalid input (flags, settings, payload, config module); 3 not found;
4 conflict (wrong state) or locked; 5 database or server unreachable; 6 the server
refused the token (401, 403).

Examples:
  $ tickwork start
  $ tickwork jobs
  $ tickwork trigger daily-report --wait
  $ tickwork <command> --help`,
)

let code: number
try {
  await program.parseAsync()
  code = Number(process.exitCode ?? EXIT.ok)
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help) already
    code = err.exitCode === 0 ? EXIT.ok : EXIT.usage
  } else {
    note(`tickwork: ${describeError(err)}`)
    code = exitCodeOf(err)
  }
}
// a config module's timers or sockets must not keep a finished command alive
process.exit(code)
