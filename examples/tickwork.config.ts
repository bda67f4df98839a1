import { type ConfigSettings, ConflictError, Tickwork } from 'tickwork'
import { startBlockchainQueueDemo } from './blockchain-queue/demo.js'
import { startConversationCleanupDemo } from './conversation-cleanup/demo.js'
import { startReportingDemo } from './reporting/demo.js'
import { startsDemoWork } from './shared/env.js'
import { startVcProcessingDemo } from './vc-processing/demo.js'
import { startWhatsappHealthDemo } from './whatsapp-health/demo.js'

const DAY_MS = 86_400_000

/**
 * On a database's first start only, a run of each scheduled app and a week of reports,
 * so a newcomer's dashboard has history at once instead of waiting for 02:00 or
 * midnight. Only under `tickwork start` (or outside the CLI): other commands load this
 * module too and must add nothing. The runs wait for a worker if none is running.
 */
async function firstStart(tw: Tickwork): Promise<void> {
  if (!startsDemoWork(process.env)) return
  await tw.query('CREATE SCHEMA IF NOT EXISTS examples')
  await tw.query('CREATE TABLE IF NOT EXISTS examples.first_start (id int PRIMARY KEY)')
  if ((await tw.query('SELECT 1 FROM examples.first_start')).rows.length > 0) return
  // The mark comes last, once everything was asked for: a failure part-way leaves none,
  // and the next start does the rest. What was done already is not done twice: a job
  // that has runs is not triggered again, and a backfill repeated adds nothing. Two
  // processes making the first start at once may both trigger a job; the windowed
  // vc-processing refuses the second while the first is unfinished, which is fine here.
  for (const job of ['vc-processing', 'conversation-cleanup', 'whatsapp-health-check']) {
    const c = await tw.runs.counts(job)
    if (c.waiting + c.delayed + c.active + c.completed + c.failed + c.cancelled > 0) continue
    await tw.trigger(job, null).catch((err: unknown) => {
      if (!(err instanceof ConflictError)) throw err
    })
  }
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
  await tw.query('INSERT INTO examples.first_start VALUES (1) ON CONFLICT DO NOTHING')
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
