import { nowDate, type QueueStore } from './store.js'
import type { Run, RunCounts, RunState } from './types.js'

// Live and finished runs read alike: the live table reports 'delayed' for a waiting
// run whose start lies ahead. A summary leaves out what may be large (payload, result,
// progress, stacks), so a list polled by the dashboard costs the same whatever runs carry.
const columns = (live: boolean, summary = false) => {
  const big = (column: string) => (summary ? `NULL::jsonb AS ${column}` : column)
  const result = live ? 'NULL::jsonb AS result' : big('result')
  const errors = summary
    ? `(SELECT coalesce(jsonb_agg(e - 'stack'), '[]'::jsonb) FROM jsonb_array_elements(errors) e) AS errors`
    : 'errors'
  return `
  id::text, job,
  ${live ? "CASE WHEN state = 'waiting' AND run_at > $NOW THEN 'delayed' ELSE state END" : 'state'} AS state,
  ${big('payload')}, ${result}, ${big('progress')}, attempt, max_attempts, ${errors},
  priority, key, source, created_at, run_at, started_at,
  ${live ? 'NULL::timestamptz' : 'finished_at'} AS finished_at, tick, window_from, window_to,
  backfill::text`
}

interface RunRow {
  id: string
  job: string
  state: RunState
  payload: unknown
  result: unknown
  progress: unknown
  attempt: number
  max_attempts: number
  errors: Run['errors']
  priority: number
  key: string | null
  source: Run['source']
  created_at: Date
  run_at: Date
  started_at: Date | null
  finished_at: Date | null
  tick: Date | null
  window_from: Date | null
  window_to: Date | null
  backfill: string | null
}

const toRun = (r: RunRow): Run => ({
  id: r.id,
  job: r.job,
  state: r.state,
  payload: r.payload,
  result: r.result ?? null,
  progress: r.progress ?? null,
  attempt: r.attempt,
  maxAttempts: r.max_attempts,
  errors: r.errors,
  priority: r.priority,
  key: r.key,
  source: r.source,
  createdAt: r.created_at,
  runAt: r.run_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  tick: r.tick,
  window: r.window_from && r.window_to ? { from: r.window_from, to: r.window_to } : null,
  backfill: r.backfill,
})

const getSql = (s: string) => `
  SELECT ${columns(true).replaceAll('$NOW', '$2')} FROM ${s}.runs WHERE id = $1
  UNION ALL
  SELECT ${columns(false)} FROM ${s}.run_history WHERE id = $1`

/** One run by id, live or finished; undefined when there is none. */
export async function getRun(store: QueueStore, id: string): Promise<Run | undefined> {
  const { rows } = await store.db.query<RunRow>(getSql(store.s), [id, nowDate(store)])
  return rows[0] && toRun(rows[0])
}

const byKeySql = (s: string) => `
  SELECT * FROM (
    SELECT ${columns(true).replaceAll('$NOW', '$3')} FROM ${s}.runs WHERE job = $1 AND key = $2
    UNION ALL
    SELECT ${columns(false)} FROM ${s}.run_history WHERE job = $1 AND key = $2
  ) r ORDER BY id::bigint DESC LIMIT 1`

/** The newest run of `job` enqueued with idempotency key `key`, live or finished. */
export async function getRunByKey(
  store: QueueStore,
  job: string,
  key: string,
): Promise<Run | undefined> {
  const { rows } = await store.db.query<RunRow>(byKeySql(store.s), [job, key, nowDate(store)])
  return rows[0] && toRun(rows[0])
}

/** What `listRuns` filters on; `cursor` is the `next` of the page before. */
export interface ListFilter {
  job?: string
  state?: RunState
  limit: number
  cursor?: string
  /** leave out payload, result, progress and error stacks */
  summary?: boolean
}

const LIVE_STATES: RunState[] = ['waiting', 'delayed', 'active']

// Newest first by id, keyset-paged: a page costs the same however deep it lies. Each
// table gives its own newest page (walking its primary key backwards), and the two
// pages are merged by the numeric id (`seq`): the id column itself is text, whose
// order puts run 99 after run 148.
const listSql = (s: string, live: boolean, finished: boolean, summary: boolean) => {
  const filter = `($1::text IS NULL OR job = $1) AND ($3::bigint IS NULL OR id < $3::bigint)`
  const parts: string[] = []
  if (live) {
    parts.push(`(SELECT * FROM (SELECT ${columns(true, summary).replaceAll('$NOW', '$5')}, id AS seq
      FROM ${s}.runs WHERE ${filter}) l WHERE ($2::text IS NULL OR state = $2)
      ORDER BY seq DESC LIMIT $4)`)
  }
  if (finished) {
    parts.push(`(SELECT ${columns(false, summary)}, id AS seq FROM ${s}.run_history
      WHERE ${filter} AND ($2::text IS NULL OR state = $2) ORDER BY seq DESC LIMIT $4)`)
  }
  return `SELECT * FROM (${parts.join(' UNION ALL ')}) r ORDER BY seq DESC LIMIT $4`
}

/** A page of runs, newest first, and the cursor of the next page (absent on the last). */
export async function listRuns(
  store: QueueStore,
  filter: ListFilter,
): Promise<{ runs: Run[]; next?: string }> {
  const live = !filter.state || LIVE_STATES.includes(filter.state)
  const finished = !filter.state || !LIVE_STATES.includes(filter.state)
  const params: unknown[] = [
    filter.job ?? null,
    filter.state ?? null,
    filter.cursor ?? null,
    filter.limit + 1,
  ]
  // only the live table's branch reads the time: a statement without it takes no $5
  if (live) params.push(nowDate(store))
  const { rows } = await store.db.query<RunRow>(
    listSql(store.s, live, finished, filter.summary ?? false),
    params,
  )
  const runs = rows.slice(0, filter.limit).map(toRun)
  return rows.length > filter.limit ? { runs, next: runs.at(-1)?.id } : { runs }
}

const countsSql = (s: string) => `
  SELECT CASE WHEN state = 'waiting' AND run_at > $2 THEN 'delayed' ELSE state END AS state,
         count(*)::int AS n
  FROM ${s}.runs WHERE ($1::text IS NULL OR job = $1) GROUP BY 1
  UNION ALL
  SELECT state, count(*)::int FROM ${s}.run_history
  WHERE ($1::text IS NULL OR job = $1) GROUP BY 1`

/** Runs by state, of one job or of all. */
export async function countRuns(store: QueueStore, job?: string): Promise<RunCounts> {
  const counts: RunCounts = {
    waiting: 0,
    delayed: 0,
    active: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  }
  const { rows } = await store.db.query<{ state: RunState; n: number }>(countsSql(store.s), [
    job ?? null,
    nowDate(store),
  ])
  for (const r of rows) counts[r.state] += r.n
  return counts
}
