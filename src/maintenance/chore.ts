import type { QueueStore } from '../queue/store.js'

/**
 * Claims a periodic chore for this process if nobody ran it in the last `everyMs`.
 * The database decides: one conditional UPDATE, so of any number of processes
 * asking at once exactly one wins, and no process is a leader that can die holding
 * the role.
 */
export async function claimChore(
  store: QueueStore,
  name: string,
  everyMs: number,
): Promise<boolean> {
  const now = new Date(store.clock.now())
  await store.db.query(`INSERT INTO ${store.s}.chores (name) VALUES ($1) ON CONFLICT DO NOTHING`, [
    name,
  ])
  const { rows } = await store.db.query(
    `UPDATE ${store.s}.chores SET last_run = $2
     WHERE name = $1 AND last_run <= $2::timestamptz - $3 * interval '1 millisecond'
     RETURNING name`,
    [name, now, everyMs],
  )
  return rows.length > 0
}
