import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SchemaVersionError } from '../errors.js'
import type { Db } from './db.js'
import { ident } from './schema.js'

interface Migration {
  version: number
  name: string
  sql: string
}

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

/** The migrations this code ships, ordered by their number. */
export function migrations(): Migration[] {
  return readdirSync(DIR)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((f) => ({
      version: Number.parseInt(f, 10),
      name: f.replace(/\.sql$/, ''),
      sql: readFileSync(DIR + f, 'utf8'),
    }))
    .sort((a, b) => a.version - b.version)
}

/** The newest schema version this code knows. */
export function latestVersion(): number {
  return migrations().at(-1)?.version ?? 0
}

/**
 * Brings `schema` up to this code's version, in one transaction under an advisory
 * lock: processes starting together queue on the lock, and all but the first find
 * nothing left to do. Throws `SchemaVersionError` when the database is newer than
 * the code. Returns the versions it applied.
 */
export async function migrate(db: Db, schema: string): Promise<number[]> {
  const s = ident(schema)
  const all = migrations()
  const latest = all.at(-1)?.version ?? 0
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tickwork:migrate:${schema}`])
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`)
    const { rows } = await tx.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${s}.migrations`,
    )
    const current = rows[0]?.v ?? 0
    if (current > latest) throw new SchemaVersionError(current, latest)
    const applied: number[] = []
    for (const m of all) {
      if (m.version <= current) continue
      await tx.exec(`SET LOCAL search_path TO ${s}, public;\n${m.sql}`)
      await tx.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ])
      applied.push(m.version)
    }
    return applied
  })
}

/** The schema version the database is at (0 when tickwork never ran there). */
export async function schemaVersion(db: Db, schema: string): Promise<number> {
  const s = ident(schema)
  const { rows } = await db.query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [`${s}.migrations`],
  )
  if (!rows[0]?.present) return 0
  const res = await db.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${s}.migrations`)
  return res.rows[0]?.v ?? 0
}
