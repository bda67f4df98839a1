import type { Tickwork } from 'tickwork'

/** A document of the app, with the VC last recorded for it. */
export interface VcDocument {
  id: string
  title: string
  vcPublicId: string | null
  vcStatus: string | null
  vcEventId: string | null
  vcEventAt: Date | null
  updatedAt: Date | null
}

const columns = `id, title, vc_public_id AS "vcPublicId", vc_status AS "vcStatus",
  vc_event_id AS "vcEventId", vc_event_at AS "vcEventAt", updated_at AS "updatedAt"`

/**
 * Creates the app's schema and documents table if missing. Serialised by an advisory
 * lock: processes starting together would otherwise race on CREATE SCHEMA IF NOT EXISTS.
 */
export async function createTables(tw: Tickwork, s: string): Promise<void> {
  await tw.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${s}:install`])
    await tx.query(`CREATE SCHEMA IF NOT EXISTS "${s}"`)
    // a VC public id names one document: the unique index refuses a second
    await tx.query(`CREATE TABLE IF NOT EXISTS "${s}".documents (
      id text PRIMARY KEY,
      title text NOT NULL DEFAULT '',
      vc_public_id text UNIQUE,
      vc_status text,
      vc_event_id text,
      vc_event_at timestamptz,
      updated_at timestamptz)`)
  })
}

/** Inserts documents that do not exist yet; existing ones are left as they are. */
export async function addDocuments(
  tw: Tickwork,
  s: string,
  docs: Array<{ id: string; title?: string }>,
): Promise<void> {
  if (docs.length === 0) return
  await tw.transaction((tx) =>
    tx.query(
      `INSERT INTO "${s}".documents (id, title)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`,
      [docs.map((d) => d.id), docs.map((d) => d.title ?? '')],
    ),
  )
}

/** The documents, by id. */
export async function listDocuments(tw: Tickwork, s: string): Promise<VcDocument[]> {
  const { rows } = await tw.transaction((tx) =>
    tx.query<VcDocument>(`SELECT ${columns} FROM "${s}".documents ORDER BY id`),
  )
  return rows
}

/** What applying an event to its document did. */
export type Applied = 'updated' | 'stale' | 'missing'

/**
 * Records a VC event on its document: public id, status, which event and when. The event
 * already applied, or an older one (by time, then id), changes nothing ('stale'), so
 * re-processing old windows after the watermark was moved back never rolls a document
 * back, nor rewrites it.
 * Throws the database's error (a public id already on another document: unique violation).
 */
export async function applyEvent(
  tw: Tickwork,
  s: string,
  e: { documentId: string; vcPublicId: string; status: string; eventId: string; at: Date },
): Promise<Applied> {
  const { rows } = await tw.transaction((tx) =>
    tx.query<{ found: number; updated: number }>(
      `WITH doc AS (SELECT id, vc_event_at, vc_event_id FROM "${s}".documents WHERE id = $1 FOR UPDATE),
       upd AS (
         UPDATE "${s}".documents d SET vc_public_id = $2, vc_status = $3, vc_event_id = $4,
           vc_event_at = $5, updated_at = $6
         FROM doc WHERE d.id = doc.id
           AND (doc.vc_event_at IS NULL OR (doc.vc_event_at, doc.vc_event_id) < ($5, $4))
         RETURNING d.id)
       SELECT (SELECT count(*) FROM doc)::int AS found, (SELECT count(*) FROM upd)::int AS updated`,
      [e.documentId, e.vcPublicId, e.status, e.eventId, e.at, new Date(tw.now())],
    ),
  )
  const r = rows[0] as { found: number; updated: number }
  return r.found === 0 ? 'missing' : r.updated === 0 ? 'stale' : 'updated'
}
