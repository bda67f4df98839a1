import type { Command } from 'commander'
import { Tickwork } from '../../client/tickwork.js'
import { connectionOptions, databaseName, reachable, settingsOf } from '../context.js'
import { print } from '../output.js'

/** `migrate`. */
export function registerMigrate(program: Command): void {
  connectionOptions(
    program
      .command('migrate')
      .summary('apply pending migrations and exit')
      .description('apply pending migrations to the database and exit (many at once migrate once)'),
    { remote: false },
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tickwork migrate --database postgres://app@db.internal/app
  $ DATABASE_URL=postgres://app@db.internal/app tickwork migrate --schema jobs`,
    )
    .action(async (o: { database?: string; schema?: string }) => {
      const s = settingsOf(o)
      const tw = new Tickwork({
        database: s.database,
        schema: s.schema,
        logger: false,
        migrate: false,
      })
      try {
        const applied = await tw.migrate()
        print(applied.length ? `applied migrations ${applied.join(', ')}` : 'schema is up to date')
      } catch (err) {
        throw reachable(err, databaseName(s))
      } finally {
        await tw.stop()
      }
    })
}
