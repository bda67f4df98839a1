/** A value as it travels in JSON: dates become ISO strings. Both operators answer in it. */
export type Wire<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T

/** `value` in its JSON form: what the server would have sent. */
export const wire = <T>(value: T): Wire<T> =>
  value === undefined ? (value as Wire<T>) : JSON.parse(JSON.stringify(value))

/** Writes one line (or several) to stdout. */
export const print = (text = ''): void => {
  process.stdout.write(`${text}\n`)
}

/** Writes a note for people to stderr, out of the way of what scripts read. */
export const note = (text: string): void => {
  process.stderr.write(`${text}\n`)
}

/** Writes the one JSON document a `--json` command prints. */
export const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2))

/** An ISO time, or '-' for none. */
export const iso = (value: string | Date | null | undefined): string =>
  value === null || value === undefined ? '-' : value instanceof Date ? value.toISOString() : value

/** Milliseconds for people: '850 ms', '12.3 s', '4m 05s', '2h 10m'; '-' for none. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-'
  if (value < 1000) return `${Math.round(value)} ms`
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`
  const s = Math.round(value / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** A share as a percentage: '97.5%'; '-' for none. */
export const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`

/** The time from one ISO time to another, or '-' when either is missing. */
export const between = (from: string | null, to: string | null): string =>
  from && to ? ms(Date.parse(to) - Date.parse(from)) : '-'

const isNumeric = (s: string) => /^-?[\d.,]+%?$/.test(s)

/**
 * An aligned text table: a header line, then one line per row; numeric columns are
 * right-aligned. `empty` is printed instead when there are no rows.
 */
export function table(headers: string[], rows: Array<Array<string | number>>, empty: string): void {
  if (rows.length === 0) {
    print(empty)
    return
  }
  const cells = rows.map((r) => r.map(String))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  const right = headers.map((_, i) => cells.every((r) => isNumeric(r[i] ?? '') || r[i] === '-'))
  const line = (r: string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  print(line(headers.map((h) => h.toUpperCase())))
  for (const r of cells) print(line(r))
}

/** Key-value lines, keys aligned: the details of one thing. */
export function fields(pairs: Array<[string, string | number]>): void {
  const width = Math.max(...pairs.map(([k]) => k.length))
  for (const [k, v] of pairs) print(`${`${k}:`.padEnd(width + 1)} ${v}`)
}

/** A JSON value for people: short ones inline, longer ones indented under their key. */
export const pretty = (value: unknown): string => {
  const flat = JSON.stringify(value)
  if (flat === undefined) return '-'
  return flat.length <= 60 ? flat : `\n${JSON.stringify(value, null, 2).replace(/^/gm, '  ')}`
}
