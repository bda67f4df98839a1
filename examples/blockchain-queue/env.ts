import { z } from 'zod'
import { type Env, httpUrl, readEnv, schemaName, wholeNumber } from '../shared/env.js'

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
  BLOCKCHAIN_QUEUE_SCHEMA: schemaName.optional(),
  BLOCKCHAIN_SERVICE_URL: httpUrl.optional(),
  BLOCKCHAIN_MOCK_ENABLED: flag,
  BLOCKCHAIN_TIMEOUT_MS: wholeNumber('milliseconds', 1, 600_000).optional(),
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
export function readBlockchainQueueEnv(env: Env = process.env): BlockchainQueueEnv {
  return readEnv(envSchema, env, 'blockchain queue environment')
}

/**
 * The app's options from the environment: `BLOCKCHAIN_QUEUE_SCHEMA`, `BLOCKCHAIN_SERVICE_URL`,
 * `BLOCKCHAIN_MOCK_ENABLED`, `BLOCKCHAIN_TIMEOUT_MS`. Throws `ValidationError` naming each
 * bad variable.
 */
export function blockchainQueueOptionsFromEnv(env: Env = process.env): BlockchainQueueOptions {
  const e = readBlockchainQueueEnv(env)
  return {
    schema: e.BLOCKCHAIN_QUEUE_SCHEMA,
    chainUrl: e.BLOCKCHAIN_SERVICE_URL,
    mock: e.BLOCKCHAIN_MOCK_ENABLED ?? false,
    timeoutMs: e.BLOCKCHAIN_TIMEOUT_MS,
  }
}
