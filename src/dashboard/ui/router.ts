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

/** The current route, following the address bar's hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash))
  useEffect(() => {
    const follow = () => setRoute(parse(location.hash))
    window.addEventListener('hashchange', follow)
    // the hash may have changed between the first render and this subscription
    follow()
    return () => window.removeEventListener('hashchange', follow)
  }, [])
  return route
}
