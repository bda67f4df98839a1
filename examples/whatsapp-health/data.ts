import type { Tickwork } from 'tickwork'

/** The current health of a connection, as the last check left it. */
export type HealthStatus = 'healthy' | 'warning' | 'error'

/** A WhatsApp Business connection whose token the daily check validates. */
export interface Connection {
  id: string
  wabaId: string
  phoneNumber: string | null
  accessToken: string
  active: boolean
  healthStatus: HealthStatus | null
  healthReason: string | null
  tokenExpiresAt: Date | null
  lastHealthCheckAt: Date | null
}

/** One check of one connection: the audit trail, append-only. */
export interface HealthRecord {
  id: number
  connectionId: string
  checkRun: string
  checkedAt: Date
  status: HealthStatus
  reason: string
  /** false when Meta could not be asked (5xx, timeout): the token is unverified */
  verified: boolean
  tokenExpiresAt: Date | null
  httpStatus: number | null
  latencyMs: number
}

/** Postgres identifier of the app's schema, quoted. */
export const quoted = (schema: string): string => `"${schema.replaceAll('"', '""')}"`

const ddl = (s: string) => `
  CREATE SCHEMA IF NOT EXISTS ${s};
  CREATE TABLE IF NOT EXISTS ${s}.connections (
    id text PRIMARY KEY,
    waba_id text NOT NULL,
    phone_number text,
    access_token text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    health_status text CHECK (health_status IN ('healthy', 'warning', 'error')),
    health_reason text,
    token_expires_at timestamptz,
    last_health_check_at timestamptz
  );
  CREATE TABLE IF NOT EXISTS ${s}.health_records (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id text NOT NULL REFERENCES ${s}.connections (id),
    check_run text NOT NULL,
    checked_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('healthy', 'warning', 'error')),
    reason text NOT NULL,
    verified boolean NOT NULL,
    token_expires_at timestamptz,
    http_status int,
    latency_ms int NOT NULL,
    UNIQUE (connection_id, check_run)
  );
  CREATE INDEX IF NOT EXISTS health_records_connection ON ${s}.health_records (connection_id, checked_at);
  CREATE OR REPLACE FUNCTION ${s}.health_records_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'health_records is an audit trail: rows are never changed or removed';
    END $$;
  CREATE OR REPLACE TRIGGER health_records_append_only
    BEFORE UPDATE OR DELETE ON ${s}.health_records
    FOR EACH ROW EXECUTE FUNCTION ${s}.health_records_append_only();
  CREATE TABLE IF NOT EXISTS ${s}.webhook_deliveries (
    id text PRIMARY KEY,
    connection_id text NOT NULL,
    event_type text NOT NULL,
    body jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts int NOT NULL DEFAULT 0,
    last_error text,
    received_at timestamptz NOT NULL,
    delivered_at timestamptz
  );
  CREATE TABLE IF NOT EXISTS ${s}.dead_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id text NOT NULL REFERENCES ${s}.webhook_deliveries (id),
    run_id text NOT NULL,
    attempts int NOT NULL,
    error text NOT NULL,
    dead_at timestamptz NOT NULL,
    retried_at timestamptz
  );`

/**
 * Creates the app's schema and tables if they are missing; safe to call from many
 * processes at once (they take turns on an advisory lock). Throws what the database does.
 */
export async function createTables(tw: Tickwork, schema: string): Promise<void> {
  await tw.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`whatsapp-health:${schema}`])
    await tx.exec(ddl(quoted(schema)))
  })
}

interface ConnectionRow {
  id: string
  waba_id: string
  phone_number: string | null
  access_token: string
  active: boolean
  health_status: HealthStatus | null
  health_reason: string | null
  token_expires_at: Date | null
  last_health_check_at: Date | null
}

/** Maps a `connections` row. */
export const connectionOf = (r: ConnectionRow): Connection => ({
  id: r.id,
  wabaId: r.waba_id,
  phoneNumber: r.phone_number,
  accessToken: r.access_token,
  active: r.active,
  healthStatus: r.health_status,
  healthReason: r.health_reason,
  tokenExpiresAt: r.token_expires_at,
  lastHealthCheckAt: r.last_health_check_at,
})

/** Every connection (`active` narrows), by id. Throws what the database does. */
export async function listConnections(
  tw: Tickwork,
  s: string,
  filter: { active?: boolean } = {},
): Promise<Connection[]> {
  const { rows } = await tw.transaction((tx) =>
    tx.query<ConnectionRow>(
      `SELECT * FROM ${s}.connections WHERE $1::boolean IS NULL OR active = $1 ORDER BY id`,
      [filter.active ?? null],
    ),
  )
  return rows.map(connectionOf)
}

/** Health records, oldest first, of one connection or all. Throws what the database does. */
export async function listHealthRecords(
  tw: Tickwork,
  s: string,
  connectionId?: string,
): Promise<HealthRecord[]> {
  const { rows } = await tw.transaction((tx) =>
    tx.query(
      `SELECT * FROM ${s}.health_records WHERE $1::text IS NULL OR connection_id = $1
        ORDER BY checked_at, connection_id, id`,
      [connectionId ?? null],
    ),
  )
  return rows.map((r) => ({
    id: Number(r.id),
    connectionId: r.connection_id,
    checkRun: r.check_run,
    checkedAt: r.checked_at,
    status: r.status,
    reason: r.reason,
    verified: r.verified,
    tokenExpiresAt: r.token_expires_at,
    httpStatus: r.http_status,
    latencyMs: r.latency_ms,
  }))
}
