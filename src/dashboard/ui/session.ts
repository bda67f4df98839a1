import { useEffect, useReducer } from 'preact/hooks'
import { navigate } from './router'

const KEY = 'tickwork.token'

// sessionStorage, not localStorage: the token should not outlive the tab it was pasted in.
export const getToken = (): string | null => sessionStorage.getItem(KEY)

const listeners = new Set<() => void>()
const changed = () => {
  for (const l of listeners) l()
}

/** Calls `listener` whenever the token or the reason to log in changes; returns the unsubscribe. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

/** The current token, re-rendering the caller when it changes (a login link, a logout). */
export function useToken(): string | null {
  const [, bump] = useReducer((n: number, _: null) => n + 1, 0)
  useEffect(() => onSessionChange(() => bump(null)), [])
  return getToken()
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token)
  changed()
}

let reason: string | null = null
let returnTo: string | null = null

const LINK = /^#token=(.*)$/

/** Whether `hash` is a login link's (`#token=…`): never a page to show. */
export const isTokenHash = (hash: string): boolean => LINK.test(hash)

/**
 * Picks up a token handed over in a login link (`#token=…`), at startup or when one is
 * pasted into an open tab, and drops it from the address bar at once (replaced, not
 * pushed), so it does not linger in history or get copied along with the URL. A link
 * whose token cannot be read (bad percent-encoding, or none) ends the session and
 * leads to the login page, saying why. Returns whether the hash was a login link.
 */
export function adoptHashToken(): boolean {
  const m = LINK.exec(location.hash)
  if (!m) return false
  let token: string | null = null
  let problem: string | null = null
  try {
    token = decodeURIComponent(m[1] ?? '').trim()
    if (!token) problem = 'That login link holds no token.'
  } catch (err) {
    problem = `That login link is malformed (${(err as Error).message}): paste the token instead.`
  }
  const page = token && !problem ? '#/' : '#/login'
  history.replaceState(null, '', `${location.pathname}${location.search}${page}`)
  if (token && !problem) {
    reason = null
    returnTo = null
    setToken(token)
  } else {
    sessionStorage.removeItem(KEY)
    reason = problem
    returnTo = null
    changed()
  }
  return true
}

/** Forgets the token and shows the login page; `message` says why (e.g. the server's 401). */
export function logout(message: string | null = null): void {
  sessionStorage.removeItem(KEY)
  // on the login page the failed attempt shows its own error; later 401s of requests
  // still in flight must not leave a stale reason for the next visit
  if (location.hash.startsWith('#/login')) {
    changed()
    return
  }
  reason = message
  if (message) returnTo = location.hash
  changed()
  navigate('/login')
}

/** Sends a visitor without a token to the login page, to come back here afterwards. */
export function requireLogin(): void {
  returnTo = location.hash
  navigate('/login')
}

/** Why the last logout happened, once: the login page shows it and then it is gone. */
export function takeLogoutReason(): string | null {
  const r = reason
  reason = null
  return r
}

/** Where to go after logging in: the page that asked for a login, else the overview. */
export function takeReturnTo(): string {
  const r = returnTo
  returnTo = null
  return r && !r.startsWith('#/login') ? r.slice(1) : '/'
}
