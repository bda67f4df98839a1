import { expect, it } from 'vitest'
import { StateError } from '../src/index.js'
import { drivers, freshSchema, makeTickwork, pgClient } from './helpers.js'

it("enqueues inside the caller's pg transaction: rolled back, nothing; committed, the run", async () => {
  const tw = makeTickwork()
  const job = tw.job('email', { run: () => {} })
  await tw.migrate()
  const client = await pgClient()
  await client.query('BEGIN')
  await job.enqueue({ to: 'x' }, { tx: client })
  await client.query('ROLLBACK')
  expect((await tw.runs.counts()).waiting).toBe(0)
  await client.query('BEGIN')
  const { id } = await job.enqueue({ to: 'y' }, { tx: client })
  expect(await tw.runs.get(id)).toBeUndefined()
  await client.query('COMMIT')
  expect((await tw.runs.get(id))?.payload).toEqual({ to: 'y' })
})

it("enqueues inside tickwork's own transaction, rolled back with it", async () => {
  const tw = makeTickwork()
  const job = tw.job('email', { run: () => {} })
  const bulk = Array.from({ length: 3 }, (_, i) => ({ payload: i }))
  await expect(
    tw.transaction(async (tx) => {
      await job.enqueueMany(bulk, { tx })
      throw new Error('order failed')
    }),
  ).rejects.toThrow('order failed')
  expect((await tw.runs.counts()).waiting).toBe(0)
  await tw.transaction((tx) => job.enqueueMany(bulk, { tx }))
  expect((await tw.runs.counts()).waiting).toBe(3)
})

it.each(drivers)(
  "tw.query runs one statement on tickwork's database ($driver)",
  async ({ database }) => {
    const schema = freshSchema()
    const tw = makeTickwork({ database: database(), schema })
    const notes = `${schema}.notes`
    await tw.query(`CREATE TABLE ${notes} (id int PRIMARY KEY, body text)`)
    await tw.query(`INSERT INTO ${notes} VALUES ($1, $2), ($3, $4)`, [1, 'a', 2, 'b'])
    const { rows } = await tw.query<{ id: number; body: string }>(
      `SELECT * FROM ${notes} ORDER BY id`,
    )
    expect(rows).toEqual([
      { id: 1, body: 'a' },
      { id: 2, body: 'b' },
    ])
    await expect(tw.query(`INSERT INTO ${notes} VALUES ($1, $2)`, [1, 'again'])).rejects.toThrow(
      /duplicate key/,
    )
  },
)

it('on the embedded store, a call outside a transaction from inside it is refused at once, not left waiting for the connection the transaction holds', async () => {
  const tw = makeTickwork({ database: 'memory://' })
  const job = tw.job('email', { run: () => {} })
  await tw.migrate()
  const hung = new Promise<string>((r) => setTimeout(() => r('still waiting after 5 s'), 5000))
  let later: Promise<unknown> | undefined
  const refused = await tw.transaction(async (tx) => {
    await job.enqueue({ to: 'x' }, { tx })
    // work begun in the callback that runs after it has ended is not refused
    later = new Promise((r) => setTimeout(r, 50)).then(() => tw.runs.counts())
    return Promise.race([tw.runs.counts().catch((e: unknown) => e), hung])
  })
  expect(refused).toBeInstanceOf(StateError)
  expect((refused as StateError).message).toMatch(/pass its handle \(\{ tx \}\)/)
  expect(await later).toMatchObject({ waiting: 1 })
  await expect(
    tw.transaction(async (tx) => {
      await job.enqueue({ to: 'y' }, { tx })
      await tw.transaction(async () => {})
    }),
  ).rejects.toThrow(StateError)
  expect((await tw.runs.counts()).waiting).toBe(1)
})
