import type { Queryable } from './db.js'

/**
 * The distinct values of `job` in a table whose index starts with it, one index probe
 * each (a loose index scan): with a million rows, a plain DISTINCT cost 100 ms a pass,
 * and the retention passes that ask run beside the workers.
 */
export async function distinctJobs(q: Queryable, s: string, table: string): Promise<string[]> {
  const { rows } = await q.query<{ job: string }>(`
    WITH RECURSIVE jobs AS (
      SELECT min(job) AS job FROM ${s}.${table}
      UNION ALL
      SELECT (SELECT min(job) FROM ${s}.${table} WHERE job > jobs.job) FROM jobs
      WHERE jobs.job IS NOT NULL
    )
    SELECT job FROM jobs WHERE job IS NOT NULL`)
  return rows.map((r) => r.job)
}
