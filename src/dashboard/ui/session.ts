import { navigate } from './router'

const KEY = 'tickwork.token'

// sessionStorage, not localStorage: the token should not outlive the tab it was pasted in.
export const getToken = (): string | null => sessionStorage.getItem(KEY)

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token)
}

let reason: string | null = null
let returnTo: string | null = null

/**
 * Picks up a token handed over in a login link (`#token=…`) and drops it from the address
 * bar at once, so it does not linger in history or get copied along with the URL.
 */
export function adoptHashToken(): void {
  const m = /^#token=(.+)$/.exec(location.hash)
  if (!m?.[1]) return
  setToken(decodeURIComponent(m[1]))
  history.replaceState(null, '', `${location.pathname}${location.search}#/`)
}

/** Forgets the token and shows the login page; `message` says why (e.g. the server's 401). */
export function logout(message: string | null = null): void {
  sessionStorage.removeItem(KEY)
  // on the login page the failed attempt shows its own error; later 401s of requests
  // still in flight must not leave a stale reason for the next visit
  if (location.hash.startsWith('#/login')) return
  reason = message
  if (message) returnTo = location.hash
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
