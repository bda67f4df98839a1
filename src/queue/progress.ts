import type { QueueStore } from './store.js'

const progressSql = (s: string) => `
  UPDATE ${s}.runs SET progress = $4
  WHERE id = $1 AND attempt = $2 AND worker = $3 AND state = 'active'`

/** Stores a running handler's progress (a number, or any JSON value). */
export async function saveProgress(
  store: QueueStore,
  holder: { id: string; attempt: number; worker: string },
  value: unknown,
): Promise<void> {
  await store.db.query(progressSql(store.s), [
    holder.id,
    holder.attempt,
    holder.worker,
    JSON.stringify(value ?? null),
  ])
}
