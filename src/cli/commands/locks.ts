import type { Command } from 'commander'
import { NotFoundError } from '../../errors.js'
import { type ConnectionFlags, connectionOptions, withOperator } from '../context.js'
import { iso, print, printJson, table } from '../output.js'

/** `locks`. */
export function registerLocks(program: Command): void {
  connectionOptions(
    program
      .command('locks')
      .summary('list the locks held, or clear one')
      .description(
        "list the leases held now (a trigger's lock is job-lock:<job>, held by its run); with --clear, free one whoever holds it",
      ),
  )
    .option('--clear <name>', 'free this lock (an operator override)')
    .option('--json', 'print {"locks": [...]} (or {"cleared": true}) as JSON')
    .addHelpText(
      'after',
      `
Exit code 3 when the lock to clear is not held.

Examples:
  $ tickwork locks
  $ tickwork locks --clear job-lock:daily-report`,
    )
    .action((o: ConnectionFlags & { clear?: string; json?: boolean }) =>
      withOperator(o, async (op) => {
        if (o.clear !== undefined) {
          if (!(await op.clearLock(o.clear)))
            throw new NotFoundError(`lock '${o.clear}' is not held`, { name: o.clear })
          return o.json ? printJson({ cleared: true }) : print(`cleared lock ${o.clear}`)
        }
        const locks = await op.locks()
        if (o.json) return printJson({ locks })
        table(
          ['name', 'owner', 'expires'],
          locks.map((l) => [l.name, l.owner, iso(l.expiresAt)]),
          'no locks held',
        )
      }),
    )
}
