import { type ConfigSettings, Tickwork } from 'tickwork'
import { startReportingDemo } from './demo.js'

/** The reporting app on demo data: `npx tickwork start --config examples/reporting/tickwork.config.ts`. */
export default async (settings: ConfigSettings) => {
  const tw = new Tickwork(settings)
  await startReportingDemo(tw)
  return tw
}
