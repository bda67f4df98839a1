import type { Tickwork } from 'tickwork'
import { startsDemoWork } from '../shared/env.js'
import { installWhatsappHealth, type WhatsappHealthApp } from './app.js'
import { whatsappHealthOptionsFromEnv } from './env.js'
import { startFakeMeta } from './fake-meta.js'
import { startFakeReceiver } from './fake-receiver.js'

const DAY_MS = 86_400_000
const FEED_EVERY_MS = 15_000

/**
 * Installs the app from the environment. Where `META_GRAPH_API_URL` is unset it starts
 * the fake Meta API with four tokens (valid, expiring in 3 days, expired, revoked) and
 * seeds their connections plus an inactive one (the same on every load); where
 * `WHATSAPP_WEBHOOK_TARGET_URL` is unset it starts the fake receiver and, under `tickwork
 * start` or outside the CLI (`TICKWORK_COMMAND`) only, enqueues three deliveries (one
 * fails twice, one always) and feeds it an inbound event every 15 s, every third failing
 * twice (an unref'd timer). The fakes start for every command: `tickwork trigger
 * whatsapp-health-check --wait` checks against them. Throws `ValidationError` for a bad
 * variable.
 */
export async function startWhatsappHealthDemo(
  tw: Tickwork,
  env: Record<string, string | undefined> = process.env,
): Promise<WhatsappHealthApp> {
  const o = whatsappHealthOptionsFromEnv(env)
  const meta = o.metaApiUrl ? undefined : await startFakeMeta()
  const receiver = o.webhookTargetUrl ? undefined : await startFakeReceiver()
  const app = await installWhatsappHealth(tw, {
    ...o,
    metaApiUrl: o.metaApiUrl ?? (meta?.url as string),
    webhookTargetUrl: o.webhookTargetUrl ?? (receiver?.endpoint as string),
  })
  if (meta) {
    const now = tw.now()
    const seed = [
      { id: 'conn-valid', token: 'EAAG-valid', info: { valid: true } },
      {
        id: 'conn-expiring',
        token: 'EAAG-expiring',
        info: { valid: true, expiresAt: new Date(now + 3 * DAY_MS) },
      },
      {
        id: 'conn-expired',
        token: 'EAAG-expired',
        info: { valid: true, expiresAt: new Date(now - DAY_MS) },
      },
      { id: 'conn-revoked', token: 'EAAG-revoked', info: { valid: false } },
    ]
    for (const [i, s] of seed.entries()) {
      meta.setToken(s.token, s.info)
      await app.addConnection({ id: s.id, wabaId: `waba-${i + 1}`, accessToken: s.token })
    }
    await app.addConnection({
      id: 'conn-inactive',
      wabaId: 'waba-9',
      accessToken: 'EAAG-old',
      active: false,
    })
  }
  if (receiver && startsDemoWork(env)) {
    // of the first three, one goes through, one after two failures, one never: it is
    // dead once its attempts ran out
    receiver.fail(502, 2, 'evt-demo-flaky')
    receiver.fail(503, Number.POSITIVE_INFINITY, 'evt-demo-never')
    for (const id of ['evt-demo-ok', 'evt-demo-flaky', 'evt-demo-never'])
      await app.receiveWebhook({ id, connectionId: 'conn-valid', type: 'messages', body: { id } })
    let n = 0
    const feed = setInterval(() => {
      n++
      const id = `evt-demo-${Date.now()}-${n}`
      if (n % 3 === 0) receiver.fail(502, 2, id)
      app
        .receiveWebhook({ id, connectionId: 'conn-valid', type: 'messages', body: { n } })
        .catch((err) => tw.logger.warn({ err }, 'demo feeder: event not recorded'))
    }, FEED_EVERY_MS)
    feed.unref()
  }
  return app
}
