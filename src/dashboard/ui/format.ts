import cronstrue from 'cronstrue'

const valid = (d: Date) => !Number.isNaN(d.getTime())

/**
 * "2026-12-01 19:00:00 UTC": every time on the dashboard is UTC, whatever the browser's
 * zone. A narrow column may wrap it after the date, never before "UTC".
 */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return valid(d) ? `${d.toISOString().slice(0, 19).replace('T', ' ')}\u00a0UTC` : iso
}

/** "in 3 min", "5 min ago", "just now". */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (!valid(d)) return ''
  const diff = d.getTime() - now
  const s = Math.abs(diff) / 1000
  if (s < 1) return 'just now'
  const span =
    s < 60
      ? `${Math.round(s)} s`
      : s < 5400
        ? `${Math.round(s / 60)} min`
        : s < 129_600
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86_400)} d`
  return diff > 0 ? `in ${span}` : `${span} ago`
}

/** "123 ms", "4.2 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`
  const s = Math.round(ms / 1000)
  const two = (a: number, unitA: string, b: number, unitB: string) =>
    b ? `${a} ${unitA} ${b} ${unitB}` : `${a} ${unitA}`
  if (s < 3600) return two(Math.floor(s / 60), 'min', s % 60, 's')
  if (s < 86_400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min')
  return two(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3600), 'h')
}

/** A run's duration: from start to end, or to now while it runs. */
export function runDuration(run: { startedAt: string | null; finishedAt: string | null }) {
  if (!run.startedAt) return null
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : Date.now()
  return end - new Date(run.startedAt).getTime()
}

/** Any JSON value, indented; `undefined` (absent) reads as null, as the API would send it. */
export function pretty(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2) ?? 'null'
}

/** A cron expression in words ("At 23:59"), or null when cronstrue cannot read it. */
export function cronWords(cron: string): string | null {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true })
  } catch {
    return null
  }
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** A run's latest error in one line, "Name: message". */
export function lastError(run: { errors: { name: string; message: string }[] }): string {
  const e = run.errors[run.errors.length - 1]
  return e ? `${e.name}: ${e.message}` : ''
}
