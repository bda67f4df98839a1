import type { Job, Run, Tickwork } from 'tickwork'
import {
  type Connection,
  createTables,
  type HealthRecord,
  listConnections,
  listHealthRecords,
  quoted,
} from './data.js'
import {
  type DeadDelivery,
  type Delivery,
  listDead,
  listDeliveries,
  retryDead,
} from './deliveries.js'
import { defineHealthCheck } from './health.js'
import { defineWebhooks, type InboundEvent, receiveEvent } from './webhooks.js'

/** How the app is set up; every field but the two URLs has the legacy's default. */
export interface WhatsappHealthOptions {
  /** Postgres schema of the app's tables; default 'whatsapp_health' */
  schema?: string
  /** base URL of the Meta Graph API (or of its fake) */
  metaApiUrl: string
  /** app token sent with each `/debug_token` call; default 'demo-app-token' */
  metaAppToken?: string
  /** default 10 000 */
  metaTimeoutMs?: number
  /** a valid token answered slower than this is `warning`; default 5 000 */
  slowMs?: number
  /** a token expiring within this many days is `warning`; default 7 */
  warningDays?: number
  /** default '0 2 * * *' (UTC) */
  cron?: string
  /** where inbound webhook events are delivered */
  webhookTargetUrl: string
  /** delivery attempts in all before the delivery is dead; default 5 */
  webhookAttempts?: number
  /** the first wait between delivery attempts, doubling; default '5m' */
  webhookRetryDelay?: string
}

/** A connection as it is added. */
export interface NewConnection {
  id: string
  wabaId: string
  phoneNumber?: string
  accessToken: string
  active?: boolean
}

/** The installed app: its jobs and what it offers its callers. */
export interface WhatsappHealthApp {
  schema: string
  healthCheck: Job
  delivery: Job
  /** adds a connection, or replaces its token and active flag */
  addConnection(c: NewConnection): Promise<void>
  connections(filter?: { active?: boolean }): Promise<Connection[]>
  /** the audit trail, oldest first; of one connection when given */
  healthRecords(connectionId?: string): Promise<HealthRecord[]>
  /** records an inbound event and enqueues its delivery; a repeated event id is one delivery */
  receiveWebhook(
    event: InboundEvent,
  ): Promise<{ deliveryId: string; created: boolean; runId: string | null }>
  deliveries(): Promise<Delivery[]>
  deadDeliveries(): Promise<DeadDelivery[]>
  /** an operator's retry of a dead delivery */
  retryDead(deliveryId: string): Promise<Run>
}

/**
 * Creates the app's tables (idempotent) and defines its jobs on `tw`:
 * `whatsapp-health-check` and `whatsapp-webhook-delivery`. Call it
 * before `tw.start()`. Throws `ValidationError` for a bad cron or retry setting, and what
 * the database throws.
 */
export async function installWhatsappHealth(
  tw: Tickwork,
  options: WhatsappHealthOptions,
): Promise<WhatsappHealthApp> {
  const schema = options.schema ?? 'whatsapp_health'
  const healthCheck = defineHealthCheck(tw, {
    schema,
    cron: options.cron ?? '0 2 * * *',
    metaApiUrl: options.metaApiUrl,
    metaAppToken: options.metaAppToken ?? 'demo-app-token',
    metaTimeoutMs: options.metaTimeoutMs ?? 10_000,
    slowMs: options.slowMs ?? 5_000,
    warningDays: options.warningDays ?? 7,
  })
  const delivery = defineWebhooks(tw, {
    schema,
    targetUrl: options.webhookTargetUrl,
    attempts: options.webhookAttempts ?? 5,
    retryDelay: options.webhookRetryDelay ?? '5m',
  })
  await createTables(tw, schema)
  const q = quoted(schema)
  return {
    schema,
    healthCheck,
    delivery,
    async addConnection(c) {
      await tw.transaction((tx) =>
        tx.query(
          `INSERT INTO ${q}.connections (id, waba_id, phone_number, access_token, active)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET access_token = EXCLUDED.access_token,
             active = EXCLUDED.active, phone_number = EXCLUDED.phone_number`,
          [c.id, c.wabaId, c.phoneNumber ?? null, c.accessToken, c.active ?? true],
        ),
      )
    },
    connections: (filter) => listConnections(tw, q, filter),
    healthRecords: (connectionId) => listHealthRecords(tw, q, connectionId),
    receiveWebhook: (event) => receiveEvent(tw, delivery, schema, event),
    deliveries: () => listDeliveries(tw, schema),
    deadDeliveries: () => listDead(tw, schema),
    retryDead: (deliveryId) => retryDead(tw, schema, deliveryId),
  }
}
