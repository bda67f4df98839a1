import { type ConfigSettings, Tickwork } from 'tickwork'
import { startWhatsappHealthDemo } from './demo.js'

/** The config `tickwork start --config examples/whatsapp-health/tickwork.config.ts` loads. */
export default async (settings: ConfigSettings) => {
  const tw = new Tickwork(settings)
  await startWhatsappHealthDemo(tw)
  return tw
}
