import { redactUrl } from '../config/settings.js'
import { ConflictError, NotFoundError, TickworkError, ValidationError } from '../errors.js'
import { UnreachableError } from './errors.js'
import type { Operator } from './operator.js'

/** The server refused the request's credentials: 401 (none or wrong) or 403 (not allowed). */
export class UnauthorizedError extends TickworkError {
  constructor(code: 'UNAUTHORIZED' | 'FORBIDDEN', message: string) {
    super(code, message)
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown }
}

// the server's error codes back into the typed errors the direct operator throws
function toError(status: number, body: ErrorBody | undefined, what: string): Error {
  const code = body?.error?.code ?? `HTTP_${status}`
  const message = body?.error?.message ?? `${what}: the server answered ${status}`
  const details = body?.error?.details
  switch (code) {
    case 'VALIDATION':
      // the message already lists the issues; given again they would be said twice
      return new ValidationError(message)
    case 'NOT_FOUND':
      return new NotFoundError(message, details)
    case 'CONFLICT':
      return new ConflictError(message, details)
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
      return new UnauthorizedError(
        code,
        `the server refused the token (${status}): ${message}; give --token or TICKWORK_API_TOKEN`,
      )
    default:
      // a proxy in front of a server that is down
      if (status === 502 || status === 503 || status === 504)
        return new UnreachableError(`${what}: the server answered ${status}: ${message}`)
      return new TickworkError(code, message, details)
  }
}

/**
 * The operator that works through a tickwork server's HTTP API, as `token`. Network
 * failures throw `UnreachableError`; the server's error answers become the typed errors
 * the direct operator would throw (401 and 403: `UnauthorizedError`).
 */
export function remoteOperator(url: string, token: string | undefined): Operator {
  const base = url.replace(/\/+$/, '')
  const target = redactUrl(base)
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const what = `${method} ${path}`
    let res: Response
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      const cause = (err as Error).cause as Error | undefined
      throw new UnreachableError(
        `cannot reach ${target}: ${cause?.message ?? (err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!res.ok) throw toError(res.status, parsed as ErrorBody | undefined, what)
    return parsed as T
  }
  const job = (name: string) => `/api/jobs/${encodeURIComponent(name)}`
  const run = (id: string) => `/api/runs/${encodeURIComponent(id)}`
  const query = (q: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v))
    const s = p.toString()
    return s ? `?${s}` : ''
  }
  return {
    target,
    jobs: async () => (await call<{ jobs: never[] }>('GET', '/api/jobs')).jobs,
    job: (name) => call('GET', job(name)),
    runs: (f) => call('GET', `/api/runs${query({ ...f })}`),
    run: (id) => call('GET', run(id)),
    trigger: (name, payload, wait) => call('POST', `${job(name)}/trigger`, { payload, wait }),
    retry: (id) => call('POST', `${run(id)}/retry`),
    retryFailed: async (f) =>
      (await call<{ retried: string[] }>('POST', '/api/runs/retry-failed', f)).retried,
    cancel: (id) => call('POST', `${run(id)}/cancel`),
    pause: (name) => call('POST', `${job(name)}/pause`),
    resume: (name) => call('POST', `${job(name)}/resume`),
    updateSchedule: (name, change) => call('PATCH', `${job(name)}/schedule`, change),
    next: async (name, n) =>
      (await call<{ next: string[] }>('GET', `${job(name)}/schedule/next${query({ n })}`)).next,
    watermark: async (name) =>
      (await call<{ watermark: string | null }>('GET', `${job(name)}/watermark`)).watermark,
    setWatermark: async (name, value) =>
      (await call<{ watermark: string | null }>('PUT', `${job(name)}/watermark`, { value }))
        .watermark,
    backfill: (name, range) => call('POST', `${job(name)}/backfill`, range),
    // the server's scheduler carries the backfill on: here it is only watched
    waitBackfill: async (id, onProgress) => {
      for (;;) {
        const status = await call<Awaited<ReturnType<Operator['backfill']>>>(
          'GET',
          `/api/backfills/${encodeURIComponent(id)}`,
        )
        onProgress(status)
        if (status.state !== 'running') return status
        await new Promise((r) => setTimeout(r, 1000))
      }
    },
    locks: async () => (await call<{ locks: never[] }>('GET', '/api/locks')).locks,
    clearLock: async (name) =>
      (await call<{ cleared: boolean }>('DELETE', `/api/locks/${encodeURIComponent(name)}`))
        .cleared,
    close: async () => {},
  }
}
