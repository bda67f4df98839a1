import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A fake of an external service, listening on 127.0.0.1 at a free port. */
export interface Fake {
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

/** What a fake's handler answers: a status and a JSON body. */
export interface Reply {
  status: number
  body?: unknown
}

/** A request as a fake's handler sees it: method, path with query, headers, parsed JSON body. */
export interface FakeRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: unknown
}

/** Where a fake's handler waits before answering, so a test can catch requests in flight. */
export interface Gate {
  /** resolves at once while open; while held, once released */
  pass(): Promise<void>
  /** holds every `pass` until the returned function is called */
  hold(): () => void
}

/** A new, open `Gate`. */
export function gate(): Gate {
  let held: Promise<void> | undefined
  return {
    pass: async () => {
      await held
    },
    hold() {
      let open = () => {}
      held = new Promise<void>((resolve) => {
        open = resolve
      })
      return () => {
        held = undefined
        open()
      }
    },
  }
}

/**
 * Starts an HTTP fake that answers JSON. It does not keep the process alive (the demo's
 * process exits once tickwork stopped), and it only listens on the loopback interface.
 */
export async function startFake(
  handle: (req: FakeRequest) => Reply | Promise<Reply>,
): Promise<Fake> {
  const server = createServer((req, res) => void answer(req, res, handle))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  handle: (req: FakeRequest) => Reply | Promise<Reply>,
) {
  let reply: Reply
  try {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    reply = await handle({
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', 'http://fake'),
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    })
  } catch (err) {
    reply = { status: 500, body: { error: (err as Error).message } }
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' })
  res.end(reply.body === undefined ? '' : JSON.stringify(reply.body))
}
