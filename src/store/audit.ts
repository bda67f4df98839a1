import type { Queryable } from './db.js'

/** One operator change, as the audit log keeps it. */
export interface AuditEntry {
  at: Date
  job: string
  /** e.g. 'watermark.set', 'schedule.pause', 'schedule.resume', 'schedule.update' */
  action: string
  detail: Record<string, unknown>
}

/** Records an operator's change, in the caller's transaction so it lands with the change. */
export async function writeAudit(q: Queryable, s: string, entry: AuditEntry): Promise<void> {
  await q.query(`INSERT INTO ${s}.audit (at, job, action, detail) VALUES ($1, $2, $3, $4)`, [
    entry.at,
    entry.job,
    entry.action,
    JSON.stringify(entry.detail),
  ])
}

/** The newest entries first, of one job or of all. */
export async function readAudit(
  q: Queryable,
  s: string,
  job: string | undefined,
  limit: number,
): Promise<AuditEntry[]> {
  const { rows } = await q.query<AuditEntry>(
    `SELECT at, job, action, detail FROM ${s}.audit
     WHERE $1::text IS NULL OR job = $1 ORDER BY id DESC LIMIT $2`,
    [job ?? null, limit],
  )
  return rows
}
