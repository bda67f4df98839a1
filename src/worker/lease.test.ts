import { expect, it } from 'vitest'
import type { QueueStore } from '../queue/store.js'
import { LeaseKeeper } from './lease.js'

it('checks each lease by run and attempt, and reports the attempt it asked about', async () => {
  // the database answers once this worker already holds attempt 3 of run 7: the answer
  // about attempt 2 must say so, so the worker can tell it from the attempt it now holds
  let held: Array<[string, number]> = [
    ['7', 2],
    ['8', 1],
  ]
  const asked: unknown[][] = []
  const store = {
    s: '"t"',
    schema: 't',
    clock: { now: () => 0 },
    db: {
      relaxed: async (_name: string, _sql: string, params: unknown[]) => {
        asked.push(params)
        held = [
          ['7', 3],
          ['8', 1],
        ]
        return { rows: [{ held: '8:1' }] }
      },
    },
  } as unknown as QueueStore
  const lost: Array<[string, number]>[] = []
  const keeper = new LeaseKeeper(
    store,
    'w',
    30_000,
    () => held,
    (l) => lost.push(l),
    (err) => {
      throw err
    },
  )
  await keeper.renew()
  expect(asked[0]?.[0]).toEqual(['7', '8'])
  expect(asked[0]?.[4]).toEqual([2, 1])
  expect(lost).toEqual([[['7', 2]]])
})
