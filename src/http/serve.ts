import type { AddressInfo } from 'node:net'
import { serve as serveNode } from '@hono/node-server'
import type { Hono } from 'hono'

/** A listening HTTP server. */
export interface Listening {
  /** the port it listens on (the one chosen, when asked for port 0) */
  port: number
  /**
   * Stops accepting connections and closes idle ones; resolves once the last request
   * is answered, or at once past `graceMs` (default: no limit), when what is still open
   * is cut. Idempotent.
   */
  close(graceMs?: number): Promise<void>
}

/**
 * Serves `app` on Node's HTTP server. Resolves once listening; rejects when the port
 * cannot be had (in use, not allowed).
 */
export function serve(app: Hono, options: { port: number; hostname?: string }): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serveNode({ fetch: app.fetch, port: options.port, hostname: options.hostname })
    server.once('error', reject)
    server.once('listening', () => {
      server.off('error', reject)
      let closed: Promise<void> | undefined
      resolve({
        port: (server.address() as AddressInfo).port,
        close: (graceMs?: number) => {
          closed ??= new Promise<void>((done) => {
            const cut =
              graceMs === undefined
                ? undefined
                : setTimeout(() => {
                    if ('closeAllConnections' in server) server.closeAllConnections()
                  }, graceMs)
            server.close(() => {
              clearTimeout(cut)
              done()
            })
            // keep-alive connections would hold close() open until they time out
            if ('closeIdleConnections' in server) server.closeIdleConnections()
          })
          return closed
        },
      })
    })
  })
}
