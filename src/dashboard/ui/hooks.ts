import { useEffect, useRef, useState } from 'preact/hooks'

export interface Draft {
  value: string
  /** the user has edited it since it last followed the server */
  dirty: boolean
  /** the user's text: from now on live data no longer overwrites the field */
  set: (value: string) => void
  /** back to following the server's value (after saving) */
  reset: () => void
}

/**
 * An input's text that follows `server` (as polling refreshes it) until the user edits
 * it; from then on the user's text stays, so a refresh never clobbers typing.
 */
export function useDraft(server: string): Draft {
  const [value, setValue] = useState(server)
  const [dirty, setDirty] = useState(false)
  useEffect(() => {
    if (!dirty) setValue(server)
  }, [server, dirty])
  return {
    value,
    dirty,
    set: (v) => {
      setDirty(true)
      setValue(v)
    },
    reset: () => {
      setDirty(false)
      setValue(server)
    },
  }
}

/** `value`, once it has stopped changing for `ms`: for checks made as the user types. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return settled
}

export interface Action {
  busy: boolean
  error: unknown
  /** runs `fn` once at a time, keeping its error to show next to the control */
  run: (fn: () => Promise<unknown>) => Promise<void>
  /** forgets the last error: what it was about has changed */
  clear: () => void
}

/** State for a button that calls the API: busy while it runs, then its error if any. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const running = useRef(false)
  return {
    busy,
    error,
    run: async (fn) => {
      if (running.current) return
      running.current = true
      setBusy(true)
      setError(null)
      try {
        await fn()
      } catch (err) {
        setError(err)
      } finally {
        running.current = false
        setBusy(false)
      }
    },
    clear: () => setError(null),
  }
}
