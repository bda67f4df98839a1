import { z } from 'zod'
import { type Issue, ValidationError } from '../errors.js'
import { DEFAULT_SCHEMA } from '../store/schema.js'
import { toMs } from '../util/duration.js'

/** One setting: where it is read from, what it holds, and how its text is checked. */
export interface Setting<T> {
  /** the environment variable */
  env: string
  /** the command-line flag that overrides it, commander style; none for secrets */
  flag?: string
  description: string
  /** the text used when neither flag nor variable is given */
  default?: string
  /** its value is never printed, not even in an error */
  secret?: boolean
  /** parses the text; its issue messages say what was expected */
  schema: z.ZodType<T>
}

// keeps the literal type of `default`: a setting with one is never undefined
const setting = <T, const D extends string | undefined = undefined>(
  s: Setting<T> & { default?: D },
): Setting<T> & { default: D } => s as Setting<T> & { default: D }

/** A URL with its password and credential-like query parameters removed, for logs and errors. */
export function redactUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // not a URL after all, but it may still carry user:password@
    // (a password may hold '/' or '@': everything up to the last '@' goes)
    return text.replace(/(\/\/[^/@:]*):.*@/, '$1:***@')
  }
  if (!url.host) return text
  url.password = ''
  for (const key of [...url.searchParams.keys()])
    if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***')
  return url.toString()
}

const tokens = (what: string) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((t) => t.length >= 16),
      `expected comma-separated ${what}, each of at least 16 characters`,
    )

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Every setting of the CLI and server, declared once. */
export const SETTINGS = {
  database: setting({
    env: 'DATABASE_URL',
    flag: '-d, --database <url>',
    description:
      "postgres:// URL, or 'pglite:<folder>' / 'memory://' for the embedded store; default: embedded in ./.tickwork",
    schema: z
      .string()
      .refine(
        (s) =>
          s === 'memory://' ||
          s.startsWith('pglite:') ||
          (/^postgres(ql)?:\/\//.test(s) && URL.canParse(s)),
        "expected a postgres:// URL, 'pglite:<folder>' or 'memory://'",
      ),
  }),
  schema: setting({
    env: 'TICKWORK_SCHEMA',
    flag: '-s, --schema <name>',
    description: 'the schema of the tables',
    default: DEFAULT_SCHEMA,
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,49}$/, 'expected lower-case letters, digits and _ (at most 50)'),
  }),
  port: setting({
    env: 'PORT',
    flag: '-p, --port <port>',
    description: 'port of the HTTP server (0: any free one)',
    default: '8080',
    schema: z
      .string()
      .regex(/^\d{1,5}$/, 'expected an integer 0-65535')
      .transform(Number)
      .refine((n) => n <= 65535, 'expected an integer 0-65535'),
  }),
  host: setting({
    env: 'HOST',
    flag: '--host <address>',
    description: 'address the HTTP server listens on',
    default: '0.0.0.0',
    schema: z.string().trim().min(1, 'expected a host name or address'),
  }),
  adminTokens: setting({
    env: 'TICKWORK_API_TOKEN',
    description:
      'admin tokens of the API (comma-separated, each at least 16 characters); the CLI sends the first with --url',
    secret: true,
    schema: tokens('tokens'),
  }),
  readTokens: setting({
    env: 'TICKWORK_READ_TOKEN',
    description: 'read-only tokens of the API (comma-separated, each at least 16 characters)',
    secret: true,
    schema: tokens('tokens'),
  }),
  cronSecret: setting({
    env: 'CRON_SECRET',
    description:
      'the secret /trigger/<job> takes (at least 16 characters); unset: triggers are off',
    secret: true,
    schema: z.string().min(16, 'expected at least 16 characters'),
  }),
  redisUrl: setting({
    env: 'REDIS_URL',
    description: 'redis:// URL: locks live on Redis instead of Postgres',
    schema: z
      .string()
      .refine((s) => /^rediss?:\/\//.test(s) && URL.canParse(s), 'expected a redis:// URL'),
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    description: `log level: ${LOG_LEVELS.join(', ')}`,
    default: 'info',
    schema: z
      .string()
      .transform((s) => s.trim().toLowerCase())
      .pipe(z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`)),
  }),
  graceMs: setting({
    env: 'TICKWORK_GRACE',
    flag: '--grace <duration>',
    description: 'on stop, how long running handlers may finish',
    default: '20s',
    schema: z.string().transform((s, ctx) => {
      try {
        return toMs(s, '')
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: "expected a duration such as '500ms', '20s', '2m'",
        })
        return z.NEVER
      }
    }),
  }),
  config: setting({
    env: 'TICKWORK_CONFIG',
    flag: '-c, --config <path>',
    description:
      'the config module defining the jobs; default: tickwork.config.ts, else .js, else .mjs, in the current folder, when present',
    schema: z.string().min(1, 'expected a path'),
  }),
  url: setting({
    env: 'TICKWORK_URL',
    flag: '--url <url>',
    description: 'act through a tickwork server (http://…) instead of the database',
    schema: z
      .string()
      .refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), 'expected an http:// URL'),
  }),
}

type Settings0 = typeof SETTINGS
/** The name of a setting, as `readSettings` keys them. */
export type SettingName = keyof Settings0
type Value<K extends SettingName> = Settings0[K] extends Setting<infer T> ? T : never

/** Every setting, checked; those without a value or default are undefined. */
export type Settings = {
  [K in SettingName]: Settings0[K]['default'] extends string ? Value<K> : Value<K> | undefined
}

/**
 * Reads every setting: a flag given on the command line wins over the variable, which
 * wins over the default. All are checked at once; the bad ones are reported together in
 * one `ValidationError`, each named as given (the flag or the variable), with the value
 * shown unless it is a secret (and with any password taken out of a URL).
 */
export function readSettings(
  flags: Partial<Record<SettingName, string>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const issues: Issue[] = []
  const out: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(SETTINGS) as Array<[SettingName, Setting<unknown>]>) {
    const flagged = flags[name]
    const given = flagged ?? (env[s.env] === '' ? undefined : env[s.env])
    const text = given ?? s.default
    if (text === undefined) continue
    const r = s.schema.safeParse(text)
    if (r.success) {
      out[name] = r.data
      continue
    }
    const where = flagged !== undefined ? (s.flag?.match(/--[\w-]+/)?.[0] ?? s.env) : s.env
    const shown = s.secret ? '' : `, got ${JSON.stringify(redactUrl(text))}`
    issues.push({ path: where, message: `${r.error.issues[0]?.message ?? 'invalid'}${shown}` })
  }
  if (issues.length > 0) throw new ValidationError('invalid setting', issues)
  return out as Settings
}
