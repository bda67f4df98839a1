import { existsSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { createJiti } from 'jiti'
import type { Logger } from 'pino'
import type { TickworkOptions } from '../client/options.js'
import { Tickwork } from '../client/tickwork.js'
import { TickworkError } from '../errors.js'

/** The config modules looked for in the current folder, in this order, when none is named. */
export const CONFIG_NAMES = ['tickwork.config.ts', 'tickwork.config.js', 'tickwork.config.mjs']

/**
 * What a config module's function gets: the database and schema the command line and
 * environment chose, and the CLI's logger and lock backend. Every field is an option of
 * `new Tickwork()`, so `(settings) => new Tickwork({ ...settings, pollInterval: '2s' })`
 * follows them all.
 */
export interface ConfigSettings {
  database?: string
  schema: string
  /** the CLI's logger (pretty on a terminal); false where a command wants quiet */
  logger?: Logger | false
  locks?: TickworkOptions['locks']
}

/** A config module that could not be found, loaded, or gave something other than a Tickwork. */
export class ConfigError extends TickworkError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG', message, undefined, options)
  }
}

/** A loaded config module: the instance its jobs are defined on, and where it came from. */
export interface LoadedConfig {
  tw: Tickwork
  path: string
}

// The config may import another copy of tickwork than the CLI's own (a global CLI, a
// local package): its instance is recognised by shape, not only by class.
function isTickwork(value: unknown): value is Tickwork {
  if (value instanceof Tickwork) return true
  const v = value as Record<string, unknown> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    ['job', 'start', 'stop', 'trigger', 'backfill'].every((m) => typeof v[m] === 'function') &&
    typeof v.runs === 'object'
  )
}

const kind = (v: unknown) =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : typeof v

/** The module named by `path`, else the first of `CONFIG_NAMES` present in `cwd`, else none. */
export function findConfig(path: string | undefined, cwd = process.cwd()): string | undefined {
  if (path !== undefined) {
    const abs = resolve(cwd, path)
    if (!existsSync(abs)) throw new ConfigError(`config module not found: ${path} (${abs})`)
    return abs
  }
  return CONFIG_NAMES.map((name) => resolve(cwd, name)).find((abs) => existsSync(abs))
}

/**
 * Loads the config module (TypeScript too, without a build step, through jiti): its
 * default export, or its export named `tickwork`, is a `Tickwork` or a function of
 * `ConfigSettings` that returns one (or a promise of one). Before the import,
 * `DATABASE_URL` and `TICKWORK_SCHEMA` are set to the settings, so a module that reads
 * the environment sees what the flags chose. Resolves to undefined when no module is
 * named and none is present; throws `ConfigError` for a module not found, one that
 * throws, or an export of the wrong kind.
 */
export async function loadConfig(
  path: string | undefined,
  settings: ConfigSettings,
  cwd = process.cwd(),
): Promise<LoadedConfig | undefined> {
  const abs = findConfig(path, cwd)
  if (abs === undefined) return undefined
  const name = relative(cwd, abs) || abs
  if (settings.database !== undefined) process.env.DATABASE_URL = settings.database
  process.env.TICKWORK_SCHEMA = settings.schema
  let mod: Record<string, unknown>
  try {
    mod = await createJiti(import.meta.url).import<Record<string, unknown>>(abs)
  } catch (err) {
    throw new ConfigError(`config module ${name} failed to load: ${(err as Error).message}`, {
      cause: err,
    })
  }
  // jiti's interop gives a module without a default export the module itself as one
  let value =
    [mod.default, mod.tickwork].find((v) => typeof v === 'function' || isTickwork(v)) ?? mod.default
  if (typeof value === 'function') {
    try {
      value = await (value as (s: ConfigSettings) => unknown)(settings)
    } catch (err) {
      throw new ConfigError(
        `config module ${name}: its function threw: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
  }
  if (!isTickwork(value))
    throw new ConfigError(
      `config module ${name}: expected its default export (or an export named tickwork) to be a Tickwork, or a function returning one; got ${kind(value)}`,
    )
  return { tw: value, path: abs }
}
