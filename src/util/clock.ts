/**
 * Where tickwork reads the time. Every time written to or compared in the database
 * comes from here, so a test can move time forward instead of waiting for it.
 */
export interface Clock {
  now(): number
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() }
