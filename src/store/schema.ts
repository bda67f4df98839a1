import { ValidationError } from '../errors.js'

/** The schema tickwork's tables live in unless configured. */
export const DEFAULT_SCHEMA = 'tickwork'

/**
 * Quotes a schema name for SQL text. Names are checked, then quoted once here: the only
 * identifier ever spliced into a statement; every value is a bound parameter.
 */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new ValidationError('invalid schema', [
      {
        path: 'schema',
        message: `expected letters, digits and _ (at most 63), got ${JSON.stringify(name)}`,
      },
    ])
  }
  return `"${name}"`
}
