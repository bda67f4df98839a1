import { type Fake, type Reply, startFake } from '../shared/fake.js'

/** A fake downstream webhook endpoint: `POST /webhooks/whatsapp`, failures injectable. */
export interface FakeReceiver extends Fake {
  /** the full URL deliveries go to */
  endpoint: string
  /** the events it accepted, by delivery id (`x-delivery-id`): each is stored once */
  readonly accepted: Map<string, unknown>
  /** every request's delivery id, accepted or not, in order */
  readonly requests: string[]
  /** answers `status` to the next `times` deliveries of `id` (every id when omitted) */
  fail(status: number, times?: number, id?: string): void
  /** stops all failures */
  heal(): void
}

/**
 * Starts the receiver. It is idempotent on `x-delivery-id`, as a sound downstream is:
 * a redelivery of an id it already accepted answers 200 and stores nothing new.
 */
export async function startFakeReceiver(): Promise<FakeReceiver> {
  const accepted = new Map<string, unknown>()
  const requests: string[] = []
  const failures = new Map<string | undefined, { status: number; left: number }>()
  const fake = await startFake((req): Reply => {
    if (req.method !== 'POST' || req.url.pathname !== '/webhooks/whatsapp')
      return { status: 404, body: { error: 'not found' } }
    const id = String(req.headers['x-delivery-id'] ?? '')
    requests.push(id)
    if (!id) return { status: 400, body: { error: 'x-delivery-id is required' } }
    const f = failures.get(id) ?? failures.get(undefined)
    if (f && f.left > 0) {
      f.left--
      return { status: f.status, body: { error: 'downstream failure' } }
    }
    if (!accepted.has(id)) accepted.set(id, req.body)
    return { status: 200, body: { ok: true } }
  })
  return {
    ...fake,
    endpoint: `${fake.url}/webhooks/whatsapp`,
    accepted,
    requests,
    fail: (status, times = Number.POSITIVE_INFINITY, id) =>
      void failures.set(id, { status, left: times }),
    heal: () => failures.clear(),
  }
}
