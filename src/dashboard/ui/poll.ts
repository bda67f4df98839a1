import { type Inputs, useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api'

/** How often lists re-fetch while the tab is visible, unless told otherwise. */
export const POLL_MS = 2000

export interface Poll<T> {
  data: T | undefined
  error: ApiError | undefined
  /** fetch again now (after an action), not waiting for the next tick */
  refresh: () => Promise<void>
}

/**
 * The wait before the next fetch, in ms, from what the last one brought; null stops the
 * polling (a later `refresh()` or change of `deps` starts it again).
 */
export type Every<T> = number | ((data: T | undefined) => number | null)

export interface PollOptions<T> {
  /** false: load only on `deps` changes and `refresh()`, for data that no longer changes */
  live?: boolean
  /** what it had is dropped when these change (default: `deps`) */
  resetOn?: Inputs
  /** stop polling once what it loaded satisfies this */
  until?: (data: T) => boolean
  /** the wait between fetches (default POLL_MS), or a function of the data */
  every?: Every<T>
}

const asApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String((err as Error)?.message ?? err))

/**
 * Loads `load()` when `deps` change and again every `every` ms (2 s by default) while the
 * tab is visible, and at once when it becomes visible again. What it had is dropped when
 * `resetOn` (default: `deps`) changes, and kept otherwise: a longer page of the same list
 * replaces the shorter one without flashing empty. With `live: false` it loads only on
 * `deps` changes and `refresh()`; with `until`, it stops once what it loaded satisfies
 * it; a 404 stops it too (what is not there does not appear by asking every 2 s). Answers
 * to superseded requests are dropped, so a slow old response never overwrites a newer one.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  deps: Inputs,
  { live = true, resetOn = deps, until, every = POLL_MS }: PollOptions<T> = {},
): Poll<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const seq = useRef(0)
  const busy = useRef(false)
  const loadRef = useRef(load)
  loadRef.current = load
  const options = useRef({ live, until, every })
  options.current = { live, until, every }
  // what the last fetch brought, as soon as it arrives (state lags until the next render)
  const last = useRef<{ data: T | undefined; error: ApiError | undefined }>({
    data: undefined,
    error: undefined,
  })
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const mounted = useRef(true)
  const resetKey = JSON.stringify(resetOn)
  const shownKey = useRef(resetKey)

  /** The wait before the next fetch, or null when polling has stopped. */
  function delay(): number | null {
    const o = options.current
    const { data: d, error: e } = last.current
    if (!o.live || e?.status === 404) return null
    if (d !== undefined && o.until?.(d) === true) return null
    return typeof o.every === 'function' ? o.every(d) : o.every
  }

  /** One timer at a time, set after each fetch from what it brought. */
  function schedule(): void {
    clearTimeout(timer.current)
    timer.current = undefined
    if (!mounted.current) return
    const ms = delay()
    if (ms === null) return
    timer.current = setTimeout(() => {
      if (document.visibilityState === 'visible' && !busy.current) void run()
      else schedule()
    }, ms)
  }

  const run = useCallback(async () => {
    const mine = ++seq.current
    busy.current = true
    try {
      const value = await loadRef.current()
      if (mine !== seq.current) return
      last.current = { data: value, error: undefined }
      setData(value)
      setError(undefined)
    } catch (err) {
      if (mine !== seq.current) return
      const e = asApiError(err)
      last.current = { data: last.current.data, error: e }
      setError(e)
    } finally {
      if (mine === seq.current) {
        busy.current = false
        schedule()
      }
    }
  }, [])

  useEffect(() => {
    if (shownKey.current !== resetKey) {
      shownKey.current = resetKey
      last.current = { data: undefined, error: undefined }
      setData(undefined)
      setError(undefined)
    }
    void run()
    return () => {
      seq.current++
      busy.current = false
    }
  }, deps)

  // a change of pace applies from now, not after the wait set under the old one
  const pace = typeof every === 'number' ? every : 'fn'
  useEffect(() => {
    if (!busy.current) schedule()
  }, [live, pace])

  useEffect(() => {
    mounted.current = true
    const shown = () => {
      if (document.visibilityState === 'visible' && !busy.current && delay() !== null) void run()
    }
    document.addEventListener('visibilitychange', shown)
    return () => {
      mounted.current = false
      clearTimeout(timer.current)
      document.removeEventListener('visibilitychange', shown)
    }
  }, [run])

  return { data, error, refresh: run }
}
