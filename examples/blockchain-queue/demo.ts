import { createHash, randomUUID } from 'node:crypto'
import { StateError, type Tickwork } from 'tickwork'
import { startsDemoWork } from '../shared/env.js'
import { type BlockchainQueueApp, installBlockchainQueue } from './app.js'
import { blockchainQueueOptionsFromEnv, readBlockchainQueueEnv } from './env.js'
import { type FakeChain, startFakeChain } from './fake-chain.js'

/** How often the demo issues a credential. */
const EVERY_MS = 4000

/**
 * Installs the blockchain queue from the environment. Without `BLOCKCHAIN_SERVICE_URL`
 * it is a demo: the fake chain is started (unless mock mode is on), failing at
 * `BLOCKCHAIN_FAKE_FAILURE_RATE` (default 0.2) and refusing every seventh credential, and
 * three credentials are issued at once and one every few seconds after, one in five of
 * them urgent: only under `tickwork start` or outside the CLI (`TICKWORK_COMMAND`), so
 * `tickwork jobs` and the like issue nothing, while the fake still serves a `tickwork
 * trigger --wait`. Throws `ValidationError` naming a bad variable.
 */
export async function startBlockchainQueueDemo(
  tw: Tickwork,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ app: BlockchainQueueApp; fake: FakeChain | undefined }> {
  const e = readBlockchainQueueEnv(env)
  const options = blockchainQueueOptionsFromEnv(env)
  const demo = options.chainUrl === undefined
  const fake =
    demo && !options.mock
      ? await startFakeChain({ failureRate: e.BLOCKCHAIN_FAKE_FAILURE_RATE ?? 0.2, latencyMs: 150 })
      : undefined
  const app = await installBlockchainQueue(tw, {
    ...options,
    chainUrl: options.chainUrl ?? fake?.url,
  })
  if (!demo || !startsDemoWork(env)) return { app, fake }

  let n = 0
  const issue = async () => {
    n += 1
    const id = randomUUID()
    if (n % 7 === 0) fake?.rejected.add(id)
    await app.issueCredential(
      {
        id,
        dataHash: createHash('sha256').update(id).digest('hex'),
        ipfsCid: `bafy${createHash('sha1').update(id).digest('hex')}`,
      },
      { priority: n % 5 === 0 ? 10 : 0 },
    )
  }
  for (let i = 0; i < 3; i++) await issue()
  const timer = setInterval(() => {
    issue().catch((err: Error) => {
      // tickwork stopped: the demo is over
      if (err instanceof StateError) clearInterval(timer)
      else tw.logger.warn({ err }, 'demo credential not issued')
    })
  }, EVERY_MS)
  // the feeder must not keep the process alive once tickwork stopped
  timer.unref()
  return { app, fake }
}
