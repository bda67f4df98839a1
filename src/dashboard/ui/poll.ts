import { type Inputs, useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api'

const POLL_MS = 2000

export interface Poll<T> {
  data: T | undefined
  error: ApiError | undefined
  /** fetch again now (after an action), not waiting for the next tick */
  refresh: () => Promise<void>
}

const asApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String((err as Error)?.message ?? err))

/**
 * Loads `load()` when `deps` change and again every 2 s while the tab is visible, and at
 * once when it becomes visible again. What it had is dropped when `resetOn` (default:
 * `deps`) changes, and kept otherwise: a longer page of the same list replaces the shorter
 * one without flashing empty. With `live: false` it loads only on `deps` changes and
 * `refresh()`: for data that no longer changes; with `until`, it stops once what it loaded
 * satisfies it. Answers to superseded requests are dropped, so a slow old response never
 * overwrites a newer one.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  deps: Inputs,
  {
    live = true,
    resetOn = deps,
    until,
  }: { live?: boolean; resetOn?: Inputs; until?: (data: T) => boolean } = {},
): Poll<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const seq = useRef(0)
  const busy = useRef(false)
  const loadRef = useRef(load)
  loadRef.current = load
  const doneRef = useRef(false)
  doneRef.current = data !== undefined && until?.(data) === true
  const resetKey = JSON.stringify(resetOn)
  const shownKey = useRef(resetKey)

  const run = useCallback(async () => {
    const mine = ++seq.current
    busy.current = true
    try {
      const value = await loadRef.current()
      if (mine !== seq.current) return
      setData(value)
      setError(undefined)
    } catch (err) {
      if (mine === seq.current) setError(asApiError(err))
    } finally {
      if (mine === seq.current) busy.current = false
    }
  }, [])

  useEffect(() => {
    if (shownKey.current !== resetKey) {
      shownKey.current = resetKey
      setData(undefined)
      setError(undefined)
    }
    void run()
    return () => {
      seq.current++
    }
  }, deps)

  useEffect(() => {
    if (!live) return
    const tick = () => {
      if (document.visibilityState === 'visible' && !busy.current && !doneRef.current) void run()
    }
    const timer = setInterval(tick, POLL_MS)
    document.addEventListener('visibilitychange', tick)
    return () => {
      clearInterval(timer)
      document.removeEventListener('visibilitychange', tick)
    }
  }, [live, run])

  return { data, error, refresh: run }
}
