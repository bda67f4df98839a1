// HTTP load from this process with autocannon: one stream per endpoint, run side by
// side for a bounded time, each with its own connections, latencies kept per response
// (autocannon's own histogram rounds to whole milliseconds) and status codes counted.
import autocannon from 'autocannon'
import { percentile } from '../../bench/util.mjs'

/**
 * Sends requests to one endpoint for `durationMs` over `connections` connections
 * (one request in flight on each). `request` is autocannon's: `{ method, path, headers,
 * body, setupRequest(req, context), onResponse(status, body, context) }`; `context` is
 * per connection, so with one request in flight the response answers the request last
 * set up on that connection. Resolves `{ name, requests, seconds, rps, latency: { p50,
 * p90, p99, max, mean }, statuses: { code: n }, errors, timeouts }`; latencies in ms.
 */
export function stream({ name, url, connections, durationMs, request }) {
  const latencies = []
  const statuses = {}
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        duration: durationMs / 1000,
        timeout: 30,
        requests: [request],
      },
      (err, result) => {
        if (err) return reject(err)
        const seconds = result.duration
        resolve({
          name,
          connections,
          requests: latencies.length,
          seconds,
          rps: latencies.length / seconds,
          latency: {
            p50: percentile(latencies, 50),
            p90: percentile(latencies, 90),
            p99: percentile(latencies, 99),
            max: latencies.length ? latencies.reduce((a, b) => Math.max(a, b)) : undefined,
            mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : 0,
          },
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
        })
      },
    )
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms)
      statuses[status] = (statuses[status] ?? 0) + 1
    })
  })
}

/** The responses of `statuses` whose code is 5xx, added up. */
export const serverErrors = (statuses) =>
  Object.entries(statuses)
    .filter(([code]) => Number(code) >= 500)
    .reduce((n, [, c]) => n + c, 0)

/** '201: 30,512, 429: 12' */
export const describeStatuses = (statuses) =>
  Object.entries(statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, n]) => `${code}: ${n.toLocaleString('en-US')}`)
    .join(', ') || 'none'
