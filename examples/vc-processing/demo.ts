import type { Tickwork } from 'tickwork'
import { installVcProcessing, type VcProcessingApp } from './app.js'
import { vcProcessingOptionsFromEnv } from './env.js'
import { DEMO_DOCUMENTS, type FakeAnalytics, startFakeAnalytics } from './fake-analytics.js'

/**
 * Installs the app from the environment. Without DHIWAY_ANALYTICS_BASE_URL it is the
 * demo: the fake analytics API is started, documents doc-1 … doc-10 are seeded, and the
 * first window starts a day back, so the first run (a tick, or `tickwork trigger
 * vc-processing`) has records to process. Throws `ValidationError` naming a bad variable.
 */
export async function startVcProcessingDemo(
  tw: Tickwork,
  env: Record<string, string | undefined> = process.env,
): Promise<VcProcessingApp & { fake: FakeAnalytics | null }> {
  const settings = vcProcessingOptionsFromEnv(env)
  if (settings.baseUrl !== undefined) {
    const app = await installVcProcessing(tw, { ...settings, baseUrl: settings.baseUrl })
    return { ...app, fake: null }
  }
  const fake = await startFakeAnalytics()
  const app = await installVcProcessing(tw, {
    ...settings,
    baseUrl: fake.url,
    windowStart: new Date(tw.now() - 86_400_000),
  })
  await app.addDocuments(
    Array.from({ length: DEMO_DOCUMENTS }, (_, i) => ({
      id: `doc-${i + 1}`,
      title: `Demo certificate ${i + 1}`,
    })),
  )
  tw.logger.info({ analytics: fake.url }, 'vc-processing demo: fake analytics API started')
  return { ...app, fake }
}
