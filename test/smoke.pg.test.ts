import { expect, it } from 'vitest'
import { makeTickwork, until } from './helpers.js'

it('runs an enqueued job on a real Postgres', async () => {
  const tw = makeTickwork()
  const seen: unknown[] = []
  const job = tw.job('hello', { run: ({ payload }) => void seen.push(payload) })
  await tw.start()
  await job.enqueue({ n: 1 })
  await until(() => seen.length === 1)
  expect(seen).toEqual([{ n: 1 }])
})
