import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'

// The bundle `npm run build` writes; the same path from src/ (tests) and dist/ (package).
const root = fileURLToPath(new URL('../../dist/dashboard/public/', import.meta.url))

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

// Run data is untrusted and rendered in the page: the policy is the second line of
// defence after escaping, so even injected markup can load and run nothing.
const headers = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

/**
 * Serves the dashboard's bundle: `index.html` at `/`, the hashed assets under
 * `/assets/`, all read into memory once. The page logs in with an API token and uses
 * the API only; without a build, `/` answers 503 saying how to make one.
 */
export function mountDashboard(app: Hono): void {
  const index = join(root, 'index.html')
  if (!existsSync(index)) {
    app.get('/', (c) =>
      c.json(
        {
          error: {
            code: 'UNAVAILABLE',
            message: 'the dashboard is not built: run npm run build',
            details: null,
          },
        },
        503,
      ),
    )
    return
  }
  const read = (path: string) => new Uint8Array(readFileSync(path))
  const html = read(index)
  const assets = new Map<string, Uint8Array<ArrayBuffer>>()
  const dir = join(root, 'assets')
  if (existsSync(dir)) for (const f of readdirSync(dir)) assets.set(f, read(join(dir, f)))

  app.get('/', (c) =>
    c.body(html, 200, {
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  )
  app.get('/assets/:file', (c) => {
    const file = c.req.param('file')
    const body = assets.get(file)
    if (!body) return c.notFound()
    return c.body(body, 200, {
      ...headers,
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      // the file names carry a hash of their content
      'cache-control': 'public, max-age=31536000, immutable',
    })
  })
}
