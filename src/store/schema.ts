import { ValidationError } from '../errors.js'

/** The schema tickwork's tables live in unless configured. */
export const DEFAULT_SCHEMA = 'tickwork'

/**
 * Quotes a schema name for SQL text. Names are checked, then quoted once here: the only
 * identifier ever spliced into a statement; every value is a bound parameter.
 */
export function ident(name: string): string {
  // lower case and short: the notification channels are named after the schema, and a
  // channel is folded to lower case by PGlite's LISTEN and cut at 63 bytes by Postgres
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(name)) {
    throw new ValidationError('invalid schema', [
      {
        path: 'schema',
        message: `expected lower-case letters, digits and _ (at most 50), got ${JSON.stringify(name)}`,
      },
    ])
  }
  return `"${name}"`
}
