import { type ConfigSettings, Tickwork } from 'tickwork'
import { startBlockchainQueueDemo } from './demo.js'

/** The blockchain queue on its own: `npx tickwork start --config examples/blockchain-queue/tickwork.config.ts`. */
export default async (settings: ConfigSettings) => {
  const tw = new Tickwork(settings)
  await startBlockchainQueueDemo(tw)
  return tw
}
