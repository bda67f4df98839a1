import { ValidationError } from 'tickwork'
import { z } from 'zod'

/** How the blockchain queue app is set up; every field has a default but the chain's URL. */
export interface BlockchainQueueOptions {
  /** the app's own Postgres schema (its `credentials` table); default 'blockchain_queue' */
  schema?: string
  /** the chain service's base URL; `POST {chainUrl}/write`. Required unless `mock` */
  chainUrl?: string
  /** no call to the chain: each write answers a hash derived from its payload */
  mock?: boolean
  /** how long one write to the chain may take before the attempt fails; default 30 s */
  timeoutMs?: number
}

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((v) => v === 'true' || v === '1')
  .optional()

const envSchema = z.object({
  BLOCKCHAIN_QUEUE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,49}$/, 'expected lower-case letters, digits and _, at most 50')
    .optional(),
  BLOCKCHAIN_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
  BLOCKCHAIN_MOCK_ENABLED: flag,
  BLOCKCHAIN_TIMEOUT_MS: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of milliseconds')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 600_000, 'expected 1-600000')
    .optional(),
  BLOCKCHAIN_FAKE_FAILURE_RATE: z
    .string()
    .regex(/^\d*\.?\d+$/, 'expected a number from 0 to 1')
    .transform(Number)
    .refine((n) => n >= 0 && n <= 1, 'expected a number from 0 to 1')
    .optional(),
})

/** The environment as the app reads it, checked. */
export type BlockchainQueueEnv = z.output<typeof envSchema>

/**
 * Reads and checks the app's environment variables (empty ones count as unset).
 * Throws `ValidationError` naming each bad variable.
 */
export function readBlockchainQueueEnv(env: NodeJS.ProcessEnv = process.env): BlockchainQueueEnv {
  const set = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  )
  const r = envSchema.safeParse(set)
  if (r.success) return r.data
  throw new ValidationError(
    'invalid blockchain queue environment',
    r.error.issues.map((i) => ({
      path: String(i.path[0]),
      message: `${i.message}, got ${JSON.stringify(set[String(i.path[0])])}`,
    })),
  )
}

/**
 * The app's options from the environment: `BLOCKCHAIN_QUEUE_SCHEMA`, `BLOCKCHAIN_SERVICE_URL`,
 * `BLOCKCHAIN_MOCK_ENABLED`, `BLOCKCHAIN_TIMEOUT_MS`. Throws `ValidationError` naming each
 * bad variable.
 */
export function blockchainQueueOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): BlockchainQueueOptions {
  const e = readBlockchainQueueEnv(env)
  return {
    schema: e.BLOCKCHAIN_QUEUE_SCHEMA,
    chainUrl: e.BLOCKCHAIN_SERVICE_URL,
    mock: e.BLOCKCHAIN_MOCK_ENABLED ?? false,
    timeoutMs: e.BLOCKCHAIN_TIMEOUT_MS,
  }
}
