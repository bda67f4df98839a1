import { ValidationError } from '../errors.js'
import type { Db } from './db.js'
import { pgDb } from './pg.js'
import { pgliteDb } from './pglite.js'

/** Where the embedded store keeps its data unless told otherwise. */
export const DEFAULT_DATA_DIR = './.tickwork'

/**
 * Opens the store a `database` setting names: a `postgres://` (or `postgresql://`) URL
 * is a server; anything else, or nothing, is the embedded store (PGlite), with `pglite:`
 * and a folder, or `memory://`, to choose where its data lives.
 */
export async function openDb(
  database: string | undefined,
  options: { poolSize?: number; onError?: (err: Error) => void } = {},
): Promise<Db> {
  if (database && /^postgres(ql)?:\/\//.test(database)) {
    return pgDb({ connectionString: database, max: options.poolSize, onError: options.onError })
  }
  if (!database) return pgliteDb(DEFAULT_DATA_DIR)
  if (database === 'memory://') return pgliteDb(database)
  if (database.startsWith('pglite:'))
    return pgliteDb(database.slice('pglite:'.length) || DEFAULT_DATA_DIR)
  throw new ValidationError('invalid database', [
    {
      path: 'database',
      message: `expected a postgres:// URL, 'pglite:<folder>' or 'memory://'; got ${JSON.stringify(database)}`,
    },
  ])
}
