import { getToken, logout } from './session'
import type { Issue } from './types'

/** An API failure as the server describes it: `{ error: { code, message, details } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** The fields a VALIDATION error names; the server nests them as `{ issues }` or not. */
  get issues(): Issue[] {
    const d = this.details as { issues?: unknown } | null
    const list = Array.isArray(d) ? d : Array.isArray(d?.issues) ? d.issues : []
    return list.filter(
      (i): i is Issue => typeof i === 'object' && i !== null && typeof i.message === 'string',
    )
  }
}

type Query = Record<string, string | number | boolean | null | undefined>

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  }
  const s = params.toString()
  return s ? `${path}?${s}` : path
}

export const enc = encodeURIComponent

interface Options {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  body?: unknown
  query?: Query
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      error?: { code?: string; message?: string; details?: unknown }
    }
    const e = body.error
    if (e?.message) return new ApiError(res.status, e.code ?? 'ERROR', e.message, e.details)
  } catch {
    // not JSON: a proxy's error page, say; the status line is all there is to show
  }
  return new ApiError(res.status, 'HTTP', `${res.status} ${res.statusText || 'request failed'}`)
}

/** Calls the API with the session's bearer token; a 401 ends the session. */
export async function api<T>(path: string, options: Options = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = getToken()
  if (token) headers.authorization = `Bearer ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(withQuery(path, options.query ?? {}), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the server (${(err as Error).message})`)
  }
  if (!res.ok) {
    const err = await errorOf(res)
    if (res.status === 401) logout(err.message)
    throw err
  }
  return (await res.json()) as T
}
