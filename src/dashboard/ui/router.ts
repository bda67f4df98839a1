import { useEffect, useState } from 'preact/hooks'

export type Route =
  | { page: 'login' }
  | { page: 'overview' }
  | { page: 'failed' }
  | { page: 'job'; name: string }
  | { page: 'run'; id: string }
  | { page: 'missing'; path: string }

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export function parse(hash: string): Route {
  // a login link's hash is adopted and replaced before it is parsed; should one get
  // here, it is still no page ("Nothing lives at token=…" would show the token)
  if (/^#?token=/.test(hash)) return { page: 'login' }
  const path = hash.replace(/^#/, '').replace(/\?.*$/, '') || '/'
  if (path === '/') return { page: 'overview' }
  if (path === '/login') return { page: 'login' }
  if (path === '/failed') return { page: 'failed' }
  const job = /^\/jobs\/(.+)$/.exec(path)
  if (job?.[1]) return { page: 'job', name: decode(job[1]) }
  const run = /^\/runs\/([^/]+)$/.exec(path)
  if (run?.[1]) return { page: 'run', id: decode(run[1]) }
  return { page: 'missing', path }
}

export const jobHref = (name: string): string => `#/jobs/${encodeURIComponent(name)}`
export const runHref = (id: string): string => `#/runs/${encodeURIComponent(id)}`

export function navigate(path: string): void {
  location.hash = path
}

/**
 * The current route, following the address bar's hash. `before` runs first on every
 * change (and at the start): it may rewrite the hash, as a login link's is replaced.
 */
export function useRoute(before: () => void = () => {}): Route {
  const [route, setRoute] = useState(() => {
    before()
    return parse(location.hash)
  })
  useEffect(() => {
    const follow = () => {
      before()
      setRoute(parse(location.hash))
    }
    window.addEventListener('hashchange', follow)
    // the hash may have changed between the first render and this subscription
    follow()
    return () => window.removeEventListener('hashchange', follow)
  }, [])
  return route
}
