import { type ConfigSettings, Tickwork } from 'tickwork'
import { startBlockchainQueueDemo } from './blockchain-queue/demo.js'
import { startConversationCleanupDemo } from './conversation-cleanup/demo.js'
import { startReportingDemo } from './reporting/demo.js'
import { startVcProcessingDemo } from './vc-processing/demo.js'
import { startWhatsappHealthDemo } from './whatsapp-health/demo.js'

const DAY_MS = 86_400_000

/**
 * On a database's first start only, a run of each scheduled app and a week of reports,
 * so a newcomer's dashboard has history at once instead of waiting for 02:00 or
 * midnight. Marked in a table, so restarts and CLI commands (which load this module
 * too) add nothing; the runs wait for a worker if none is running.
 */
async function firstStart(tw: Tickwork): Promise<void> {
  await tw.query('CREATE SCHEMA IF NOT EXISTS examples')
  await tw.query('CREATE TABLE IF NOT EXISTS examples.first_start (id int PRIMARY KEY)')
  const { rows } = await tw.query(
    'INSERT INTO examples.first_start VALUES (1) ON CONFLICT DO NOTHING RETURNING id',
  )
  if (rows.length === 0) return
  for (const job of ['vc-processing', 'conversation-cleanup', 'whatsapp-health-check'])
    await tw.trigger(job, null)
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS
  const week = { from: new Date(today - 7 * DAY_MS), to: new Date(today) }
  await tw.backfill('daily-snapshot', week)
  await tw.backfill('daily-report', week)
  const month = new Date(today)
  month.setUTCDate(1)
  await tw.backfill('monthly-summary', {
    from: new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() - 2, 1)),
    to: month,
  })
}

/**
 * All five reference apps on one instance, each with its fakes and demo data: what
 * `npm start` runs, so the dashboard shows them side by side. Their job names and
 * table schemas differ, so they share the database as separate apps would.
 */
export default async (settings: ConfigSettings) => {
  const tw = new Tickwork(settings)
  await startVcProcessingDemo(tw)
  await startBlockchainQueueDemo(tw)
  await startConversationCleanupDemo(tw)
  await startWhatsappHealthDemo(tw)
  await startReportingDemo(tw)
  await firstStart(tw)
  return tw
}
