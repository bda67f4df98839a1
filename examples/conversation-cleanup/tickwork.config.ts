import { type ConfigSettings, Tickwork } from 'tickwork'
import { startConversationCleanupDemo } from './demo.js'

/** `npx tickwork start --config examples/conversation-cleanup/tickwork.config.ts` */
export default async (settings: ConfigSettings) => {
  const tw = new Tickwork(settings)
  await startConversationCleanupDemo(tw)
  return tw
}
