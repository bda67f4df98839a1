import { NotFoundError } from '../errors.js'
import type { QueueStore } from '../queue/store.js'
import { writeAudit } from '../store/audit.js'
import type { Tx } from '../store/db.js'
import { type CronSchedule, compileCron } from './cron.js'

/** The channel a changed schedule is announced on (the payload is the job's name). */
export const schedulesChannel = (schema: string) => `${schema}_schedules`

/** A schedule as the database holds it. */
export interface ScheduleInfo {
  job: string
  cron: string
  timezone: string
  paused: boolean
  /** the next tick no scheduler has handled yet */
  nextAt: Date
  /** a tick overlap 'queue' holds until the previous run ends */
  pending: Date | null
  /** true when it comes from the code's definition, false when made at runtime */
  declared: boolean
  updatedAt: Date
}

interface Row {
  job: string
  cron: string
  timezone: string
  paused: boolean
  next_at: Date
  pending: Date | null
  declared: unknown
  updated_at: Date
}

const toInfo = (r: Row): ScheduleInfo => ({
  job: r.job,
  cron: r.cron,
  timezone: r.timezone,
  paused: r.paused,
  nextAt: r.next_at,
  pending: r.pending,
  declared: r.declared !== null,
  updatedAt: r.updated_at,
})

const COLUMNS = 'job, cron, timezone, paused, next_at, pending, declared, updated_at'

// far enough ahead for a schedule that never fires again: next_at is NOT NULL
const after = (cron: CronSchedule, now: number) =>
  cron.next(new Date(now)) ?? new Date('9999-12-31T00:00:00Z')

// A declaration that differs from the one stored replaces cron, zone and next tick; an
// unchanged one leaves an operator's runtime change alone.
const declareSql = (s: string) => `
  INSERT INTO ${s}.schedules (job, cron, timezone, declared, next_at, updated_at)
  SELECT d.job, d.cron, d.timezone, d.declared, d.next_at, $5
  FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $6::jsonb[])
    AS d(job, cron, timezone, next_at, declared)
  ON CONFLICT (job) DO UPDATE SET cron = EXCLUDED.cron, timezone = EXCLUDED.timezone,
    declared = EXCLUDED.declared, next_at = EXCLUDED.next_at, updated_at = EXCLUDED.updated_at
  WHERE ${s}.schedules.declared IS DISTINCT FROM EXCLUDED.declared`

/**
 * Saves the schedules the code declares, and drops those the code declared before for
 * jobs defined here that no longer have one (schedules made at runtime stay).
 */
export async function declareSchedules(
  store: QueueStore,
  declared: Array<{ job: string; cron: CronSchedule }>,
  unscheduled: string[],
): Promise<void> {
  const now = store.clock.now()
  await store.db.transaction(async (tx) => {
    if (declared.length > 0) {
      await tx.query(declareSql(store.s), [
        declared.map((d) => d.job),
        declared.map((d) => d.cron.cron),
        declared.map((d) => d.cron.timezone),
        declared.map((d) => after(d.cron, now)),
        new Date(now),
        declared.map((d) => JSON.stringify({ cron: d.cron.cron, timezone: d.cron.timezone })),
      ])
    }
    if (unscheduled.length > 0) {
      await tx.query(
        `DELETE FROM ${store.s}.schedules WHERE job = ANY($1::text[]) AND declared IS NOT NULL`,
        [unscheduled],
      )
    }
  })
}

/** One job's schedule; throws `NotFoundError` when it has none. */
export async function getSchedule(store: QueueStore, job: string): Promise<ScheduleInfo> {
  const { rows } = await store.db.query<Row>(
    `SELECT ${COLUMNS} FROM ${store.s}.schedules WHERE job = $1`,
    [job],
  )
  if (!rows[0]) throw new NotFoundError(`job '${job}' has no schedule`, { job })
  return toInfo(rows[0])
}

/** Every schedule, by job name. */
export async function listSchedules(store: QueueStore): Promise<ScheduleInfo[]> {
  const { rows } = await store.db.query<Row>(
    `SELECT ${COLUMNS} FROM ${store.s}.schedules ORDER BY job`,
  )
  return rows.map(toInfo)
}

/**
 * Applies an operator's change to a schedule under its row lock (`fn` gets the row, or
 * undefined when there is none yet), audits it with what `fn` returns, and tells every
 * scheduler at commit. Returns the schedule as changed.
 */
async function change(
  store: QueueStore,
  job: string,
  fn: (tx: Tx, row: Row | undefined, now: number) => Promise<Record<string, unknown>>,
  action: string,
): Promise<ScheduleInfo> {
  const now = store.clock.now()
  return store.db.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM ${store.s}.schedules WHERE job = $1 FOR UPDATE`,
      [job],
    )
    const detail = await fn(tx, rows[0], now)
    await writeAudit(tx, store.s, { at: new Date(now), job, action, detail })
    await tx.query('SELECT pg_notify($1, $2)', [schedulesChannel(store.schema), job])
    const { rows: after } = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM ${store.s}.schedules WHERE job = $1`,
      [job],
    )
    return toInfo(after[0] as Row)
  })
}

/**
 * Changes a job's cron expression or time zone at runtime (or gives a job defined
 * without one a schedule): the next tick is the new expression's first after now.
 * Throws `ValidationError` for a bad expression or zone, `NotFoundError` when the job
 * has no schedule and no `cron` is given.
 */
export async function updateSchedule(
  store: QueueStore,
  job: string,
  to: { cron?: string; timezone?: string },
): Promise<ScheduleInfo> {
  return change(
    store,
    job,
    async (tx, row, now) => {
      if (!row && to.cron === undefined)
        throw new NotFoundError(`job '${job}' has no schedule; give a cron expression`, { job })
      const cron = compileCron(to.cron ?? row?.cron, to.timezone ?? row?.timezone ?? 'UTC', '')
      await tx.query(
        `INSERT INTO ${store.s}.schedules (job, cron, timezone, next_at, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (job) DO UPDATE SET cron = $2, timezone = $3, next_at = $4, updated_at = $5`,
        [job, cron.cron, cron.timezone, after(cron, now), new Date(now)],
      )
      return {
        before: row ? { cron: row.cron, timezone: row.timezone } : null,
        after: { cron: cron.cron, timezone: cron.timezone },
      }
    },
    'schedule.update',
  )
}

/**
 * Pauses (suspends) a schedule: no tick is handled while paused, and none is caught
 * up on resume (a tick overlap 'queue' held is dropped). Runs already enqueued go on.
 * Throws `NotFoundError`.
 */
export function pauseSchedule(store: QueueStore, job: string): Promise<ScheduleInfo> {
  return change(
    store,
    job,
    async (tx, row, now) => {
      if (!row) throw new NotFoundError(`job '${job}' has no schedule`, { job })
      // a tick overlap 'queue' held is dropped: nothing paused is caught up on resume
      await tx.query(`UPDATE ${store.s}.ticks SET outcome = 'skipped' WHERE job = $1 AND at = $2`, [
        job,
        row.pending,
      ])
      await tx.query(
        `UPDATE ${store.s}.schedules SET paused = true, pending = NULL, updated_at = $2
         WHERE job = $1`,
        [job, new Date(now)],
      )
      return { wasPaused: row.paused }
    },
    'schedule.pause',
  )
}

/** Resumes a paused schedule from its next tick after now. Throws `NotFoundError`. */
export function resumeSchedule(store: QueueStore, job: string): Promise<ScheduleInfo> {
  return change(
    store,
    job,
    async (tx, row, now) => {
      if (!row) throw new NotFoundError(`job '${job}' has no schedule`, { job })
      if (!row.paused) return { wasPaused: false }
      await tx.query(
        `UPDATE ${store.s}.schedules SET paused = false, next_at = $2, updated_at = $3
         WHERE job = $1`,
        [job, after(compileCron(row.cron, row.timezone), now), new Date(now)],
      )
      return { wasPaused: true }
    },
    'schedule.resume',
  )
}
