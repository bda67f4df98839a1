import { type ConfigSettings, Tickwork } from 'tickwork'
import { startVcProcessingDemo } from './demo.js'

/** `npx tickwork start --config examples/vc-processing/tickwork.config.ts` */
export default async (settings: ConfigSettings) => {
  const tw = new Tickwork(settings)
  await startVcProcessingDemo(tw)
  return tw
}
