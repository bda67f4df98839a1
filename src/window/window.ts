/** A window a run processes: `[from, to)`; `end` is where the whole gap ends. */
export interface RunWindow {
  from: Date
  to: Date
  end: Date
}

/**
 * The first window of the gap `[from, end)`: all of it, or its first `maxSpanMs`. The
 * completion of each window enqueues the next (see queue/complete), so the windows of
 * a gap run one after another, oldest first. A gap that ends before it starts is empty.
 */
export function firstWindow(from: Date, end: Date, maxSpanMs: number | null): RunWindow {
  const stop = Math.max(from.getTime(), end.getTime())
  const to = maxSpanMs === null ? stop : Math.min(stop, from.getTime() + maxSpanMs)
  return { from, to: new Date(to), end: new Date(stop) }
}
