import { type Command, Option } from 'commander'
import type { Logger } from 'pino'
import { Tickwork } from '../client/tickwork.js'
import { CONFIG_NAMES, type ConfigSettings, type LoadedConfig, loadConfig } from '../config/load.js'
import {
  readSettings,
  redactUrl,
  SETTINGS,
  type SettingName,
  type Settings,
} from '../config/settings.js'
import { DEFAULT_DATA_DIR } from '../store/open.js'
import { directOperator } from './direct.js'
import { EXIT, exitCodeOf, UnreachableError } from './errors.js'
import { createLogger } from './logger.js'
import type { Operator } from './operator.js'
import { remoteOperator } from './remote.js'

/** The flags of the commands that reach tickwork, as commander parses them. */
export interface ConnectionFlags {
  database?: string
  schema?: string
  config?: string
  url?: string
  token?: string
  port?: string
  host?: string
  grace?: string
}

/** The option for a setting: its flag, and its variable and default in the help. */
export function settingOption(name: SettingName): Option {
  const s = SETTINGS[name]
  const extra = [`env ${s.env}`, s.default === undefined ? '' : `default ${s.default}`]
  return new Option(s.flag as string, `${s.description} (${extra.filter(Boolean).join('; ')})`)
}

/** Adds the database and config options; with `remote`, also --url and --token. */
export function connectionOptions(cmd: Command, { remote = true } = {}): Command {
  cmd.addOption(settingOption('database')).addOption(settingOption('schema'))
  cmd.addOption(settingOption('config'))
  if (remote)
    cmd
      .addOption(settingOption('url'))
      .option('--token <token>', 'bearer token for --url (default: the first TICKWORK_API_TOKEN)')
  return cmd
}

/** The settings, flags first; sets LOG_LEVEL as checked, for loggers that read it. */
export function settingsOf(f: ConnectionFlags): Settings {
  const settings = readSettings({
    database: f.database,
    schema: f.schema,
    config: f.config,
    url: f.url,
    port: f.port,
    host: f.host,
    graceMs: f.grace,
  })
  process.env.LOG_LEVEL = settings.logLevel
  return settings
}

/** Where the database is, for people: never its password. */
export const databaseName = (s: Settings): string =>
  s.database ? redactUrl(s.database) : `the embedded store in ${DEFAULT_DATA_DIR}`

/** What the config's function (or a bare `Tickwork`) gets from the settings. */
export const tickworkOptions = (s: Settings, logger: Logger | false): ConfigSettings => ({
  database: s.database,
  schema: s.schema,
  logger,
  locks: s.redisUrl ? { redis: s.redisUrl } : undefined,
})

/** The `Tickwork` to act with: the config module's, else a bare one on the settings. */
export async function openTickwork(
  s: Settings,
  logger: Logger | false,
): Promise<{ tw: Tickwork; config: LoadedConfig | undefined }> {
  const options = tickworkOptions(s, logger)
  const config = await loadConfig(s.config, options)
  return { tw: config?.tw ?? new Tickwork(options), config }
}

/** Why commands that need job definitions cannot run: no config module. */
export const noConfig = (orElse = ', or --url <server>') =>
  `no config module was found (looked for ${CONFIG_NAMES.join(', ')} in ${process.cwd()}): give --config <path>${orElse}`

/**
 * Opens the operator the flags ask for: the server's API with --url (or TICKWORK_URL),
 * otherwise the database, with the config module's definitions when there is one.
 * Commands other than `start` log nothing unless LOG_LEVEL says so, and then to stderr:
 * stdout is for their output.
 */
export async function openOperator(f: ConnectionFlags): Promise<Operator> {
  const quiet = process.env.LOG_LEVEL === undefined
  const s = settingsOf(f)
  if (s.url) return remoteOperator(s.url, f.token ?? s.adminTokens?.[0])
  // a config's own default pino logger reads LOG_LEVEL and writes to stdout
  if (quiet) process.env.LOG_LEVEL = 'silent'
  const { tw, config } = await openTickwork(s, createLogger(quiet ? 'silent' : s.logLevel, 2))
  return directOperator(tw, databaseName(s), config ? undefined : noConfig(), s.graceMs)
}

/** A connection failure, said with where it was going. */
export function reachable(err: unknown, target: string): unknown {
  if (exitCodeOf(err) !== EXIT.unreachable || (err as { code?: string }).code === 'UNREACHABLE')
    return err
  return new UnreachableError(`cannot reach the database (${target}): ${(err as Error).message}`, {
    cause: err,
  })
}

/** Runs `fn` with the operator the flags ask for, and closes it after. */
export async function withOperator<T>(
  f: ConnectionFlags,
  fn: (op: Operator) => Promise<T>,
): Promise<T> {
  const op = await openOperator(f)
  try {
    return await fn(op)
  } catch (err) {
    throw reachable(err, op.target)
  } finally {
    await op.close().catch(() => {})
  }
}
