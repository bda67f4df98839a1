import type { Tickwork } from 'tickwork'
import { startsDemoWork } from '../shared/env.js'
import { type ConversationCleanupApp, installConversationCleanup } from './app.js'
import { insertConversations } from './data.js'
import { conversationCleanupOptionsFromEnv } from './env.js'

const MINUTE = 60_000

/**
 * Installs the app from the environment, seeds a spread of conversations (idle from
 * a minute to an hour, some already closed) and starts a feeder that, every 4 s,
 * touches two conversations and opens a new one, so each cleanup has something to
 * leave active and something to close. The seed is the same on every load (an existing
 * conversation is left alone); the feeder starts only under `tickwork start` or outside
 * the CLI (`TICKWORK_COMMAND`), not for `tickwork jobs` and the like. Its timer is
 * unref'd and stops once `tw` is stopped. The legacy cleaned up a MongoDB collection and called no service:
 * there is no fake to start. Throws `ValidationError` for a bad variable.
 */
export async function startConversationCleanupDemo(
  tw: Tickwork,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConversationCleanupApp> {
  const app = await installConversationCleanup(tw, conversationCleanupOptionsFromEnv(env))
  const now = tw.now()
  await tw.transaction((tx) =>
    insertConversations(
      tx,
      app.schema,
      [1, 3, 6, 9, 12, 15, 25, 40, 60].flatMap((minutes, i) => [
        { id: `demo-${i}`, isActive: true, lastActivityAt: new Date(now - minutes * MINUTE) },
        {
          id: `demo-closed-${i}`,
          isActive: false,
          lastActivityAt: new Date(now - 2 * minutes * MINUTE),
        },
      ]),
    ),
  )
  if (!startsDemoWork(env)) return app
  let opened = 0
  const feeder = setInterval(() => {
    const picks = [0, 1].map(() => `demo-${Math.floor(Math.random() * 9)}`)
    Promise.all([...picks, `demo-new-${Date.now().toString(36)}-${opened++}`].map(app.touch)).catch(
      (err: Error) => {
        // a stopped tickwork refuses queries: the demo is over
        clearInterval(feeder)
        tw.logger.debug({ err: err.message }, 'conversation feeder stopped')
      },
    )
  }, 4000)
  feeder.unref()
  return app
}
