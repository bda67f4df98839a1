import type { Queryable, Tx } from 'tickwork'

/** The counts the legacy's `getLegacyConversationStats()` reported, at a moment. */
export interface ConversationStats {
  total: number
  active: number
  inactive: number
  /** inactive and idle past the threshold */
  oldInactive: number
  /** ISO time the counts are as of */
  timestamp: string
}

/** One conversation state row. */
export interface Conversation {
  id: string
  isActive: boolean
  createdAt: Date
  lastActivityAt: Date
  updatedAt: Date
  deactivatedAt: Date | null
}

/**
 * Creates the app's schema, table and index if missing. The advisory lock makes
 * instances starting at once wait for each other: concurrent `CREATE ... IF NOT EXISTS`
 * of one table can still collide in Postgres's catalog.
 */
export async function createTables(tx: Tx, schema: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`conversation-cleanup:${schema}`])
  await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.conversation_states (
    id text PRIMARY KEY,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deactivated_at timestamptz
  )`)
  // the cleanup reads only the active rows, by idle time
  await tx.query(`CREATE INDEX IF NOT EXISTS conversation_states_active_idle
    ON ${schema}.conversation_states (last_activity_at) WHERE is_active`)
}

/**
 * Deactivates every active conversation idle since before `cutoff`, in one statement:
 * the idle condition is checked on the row as it stands when the UPDATE takes its lock
 * (Postgres re-reads a row a concurrent transaction changed), so a conversation touched
 * after the cleanup began is left active. Selecting ids first and updating them after
 * would deactivate it: the lost update of the legacy's find-then-update style.
 */
export async function deactivateIdle(
  tx: Queryable,
  schema: string,
  cutoff: Date,
  now: Date,
): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE ${schema}.conversation_states
     SET is_active = false, updated_at = $2, deactivated_at = $2
     WHERE is_active AND last_activity_at < $1
     RETURNING id`,
    [cutoff, now],
  )
  return rows.map((r) => r.id).sort()
}

/** The counts of all conversations, `oldInactive` measured against `cutoff`. */
export async function readStats(
  db: Queryable,
  schema: string,
  cutoff: Date,
  now: Date,
): Promise<ConversationStats> {
  const { rows } = await db.query<Omit<ConversationStats, 'timestamp'>>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE is_active)::int AS active,
            count(*) FILTER (WHERE NOT is_active)::int AS inactive,
            count(*) FILTER (WHERE NOT is_active AND last_activity_at < $1)::int AS "oldInactive"
     FROM ${schema}.conversation_states`,
    [cutoff],
  )
  const r = rows[0] ?? { total: 0, active: 0, inactive: 0, oldInactive: 0 }
  return { ...r, timestamp: now.toISOString() }
}

/**
 * Records activity on a conversation at `at`, creating it if new and reactivating it if
 * the cleanup had closed it. Last activity never moves back: a late, older touch keeps
 * the newer time.
 */
export async function touch(db: Queryable, schema: string, id: string, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO ${schema}.conversation_states
       (id, is_active, created_at, last_activity_at, updated_at)
     VALUES ($1, true, $2, $2, $2)
     ON CONFLICT (id) DO UPDATE SET
       is_active = true,
       last_activity_at = GREATEST(conversation_states.last_activity_at, EXCLUDED.last_activity_at),
       updated_at = EXCLUDED.updated_at,
       deactivated_at = NULL`,
    [id, at],
  )
}

/** Inserts conversations as given, leaving any id that exists as it is. */
export async function insertConversations(
  db: Queryable,
  schema: string,
  rows: Array<{ id: string; isActive: boolean; lastActivityAt: Date }>,
): Promise<void> {
  for (const r of rows)
    await db.query(
      `INSERT INTO ${schema}.conversation_states
         (id, is_active, created_at, last_activity_at, updated_at)
       VALUES ($1, $2, $3, $3, $3)
       ON CONFLICT (id) DO NOTHING`,
      [r.id, r.isActive, r.lastActivityAt],
    )
}

/** Every conversation, by id. */
export async function listConversations(db: Queryable, schema: string): Promise<Conversation[]> {
  const { rows } = await db.query<Conversation>(
    `SELECT id, is_active AS "isActive", created_at AS "createdAt",
            last_activity_at AS "lastActivityAt", updated_at AS "updatedAt",
            deactivated_at AS "deactivatedAt"
     FROM ${schema}.conversation_states ORDER BY id`,
  )
  return rows
}
