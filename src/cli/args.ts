import { InvalidArgumentError } from 'commander'

// Parsers for flag values: a bad value is commander's InvalidArgumentError, which names
// the flag in its message and exits with the usage code.

/** A whole number in `[min, max]`. */
export const intArg =
  (min: number, max: number) =>
  (text: string): number => {
    const n = Number(text)
    if (!/^\d+$/.test(text) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number ${min}-${max}`)
    return n
  }

/** A time, into its ISO form. */
export const timeArg = (text: string): string => {
  const t = Date.parse(text)
  if (Number.isNaN(t))
    throw new InvalidArgumentError('expected an ISO time, e.g. 2026-01-31T00:00:00Z')
  return new Date(t).toISOString()
}

/** A JSON value. */
export const jsonArg = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidArgumentError(`expected JSON: ${(err as Error).message}`)
  }
}
