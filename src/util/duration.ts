import { ValidationError } from '../errors.js'

/** Milliseconds, or a string such as `'500ms'`, `'5s'`, `'2m'`, `'2h'`, `'7d'`. */
export type Duration = number | string

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** Parses a duration to milliseconds; throws `ValidationError` naming `field`. */
export function toMs(value: Duration, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value)
    throw new ValidationError('invalid duration', [
      { path: field, message: `expected milliseconds >= 0, got ${value}` },
    ])
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(String(value))
  if (!match) {
    throw new ValidationError('invalid duration', [
      {
        path: field,
        message: `expected milliseconds or a string like '500ms', '5s', '2h', '7d'; got ${JSON.stringify(value)}`,
      },
    ])
  }
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number))
}
