import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tickwork } from 'tickwork'
import { afterAll, expect, it } from 'vitest'
import startAll from './tickwork.config.js'

// what `npm start` loads, on the embedded store it uses on a fresh clone: a folder
const dir = await mkdtemp(join(tmpdir(), 'tickwork-examples-'))
const settings = { database: `pglite:${dir}`, schema: 'tickwork', logger: false as const }
const tw: Tickwork = await startAll(settings)
afterAll(async () => {
  await tw.stop({ grace: 0 })
  await rm(dir, { recursive: true, force: true })
})

const FIRST = [
  'vc-processing',
  'conversation-cleanup',
  'whatsapp-health-check',
  'daily-snapshot',
  'daily-report',
  'monthly-summary',
]

const JOBS = [
  'blockchain-write',
  'blockchain-write-dead',
  'conversation-cleanup',
  'daily-report',
  'daily-snapshot',
  'monthly-summary',
  'vc-processing',
  'whatsapp-health-check',
  'whatsapp-webhook-delivery',
]

it('npm start: all five apps on one embedded store, each job listed and each app working', async () => {
  const listed = (await tw.jobs.list()).map((j) => j.name)
  expect(listed).toEqual(expect.arrayContaining(JOBS))
  await tw.start()
  // the first start's runs and backfills, against the fakes and the demo data
  const done = async () =>
    Object.fromEntries(
      await Promise.all(
        FIRST.map(async (job) => {
          const c = await tw.runs.counts(job)
          return [job, { completed: c.completed, failed: c.failed }]
        }),
      ),
    )
  await expect.poll(done, { timeout: 30_000, interval: 200 }).toEqual({
    'vc-processing': { completed: 1, failed: 0 },
    'conversation-cleanup': { completed: 1, failed: 0 },
    'whatsapp-health-check': { completed: 1, failed: 0 },
    'daily-snapshot': { completed: 7, failed: 0 },
    'daily-report': { completed: 7, failed: 0 },
    'monthly-summary': { completed: 2, failed: 0 },
  })
  // the blockchain demo issues credentials by itself; the worker confirms them
  await expect
    .poll(async () => (await tw.runs.counts('blockchain-write')).completed, { timeout: 20_000 })
    .toBeGreaterThan(0)
})

it('a second start of the same database adds no first-start runs', async () => {
  await tw.stop({ grace: 0 })
  const again = await startAll(settings)
  try {
    const c = await again.runs.counts('vc-processing')
    expect(c.waiting + c.active + c.completed).toBe(1)
    expect((await again.listBackfills({ job: 'daily-report' })).length).toBe(1)
  } finally {
    await again.stop({ grace: 0 })
  }
})

it('a first start cut short before its mark is finished by the next start, nothing done twice', async () => {
  const cut = await startAll(settings)
  await cut.query('DELETE FROM examples.first_start')
  await cut.stop({ grace: 0 })
  const next = await startAll(settings)
  try {
    for (const job of ['vc-processing', 'conversation-cleanup', 'whatsapp-health-check']) {
      const c = await next.runs.counts(job)
      expect(c.waiting + c.active + c.completed + c.failed, job).toBe(1)
    }
    await next.start()
    // the backfill asked for again walks its week and finds every tick run
    await expect
      .poll(async () => (await next.listBackfills({ job: 'daily-report' }))[0], {
        timeout: 10_000,
      })
      .toMatchObject({ state: 'completed', total: 7, enqueued: 0, existing: 7 })
    expect(await next.listBackfills({ job: 'daily-report' })).toHaveLength(2)
    expect((await next.runs.counts('daily-report')).completed).toBe(7)
    expect((await next.query('SELECT id FROM examples.first_start')).rows).toEqual([{ id: 1 }])
  } finally {
    await next.stop({ grace: 0 })
  }
})

it('another CLI command than start, on a fresh database: no first start, no demo credentials', async () => {
  const fresh = await mkdtemp(join(tmpdir(), 'tickwork-examples-'))
  process.env.TICKWORK_COMMAND = 'jobs'
  try {
    const jobs = await startAll({ ...settings, database: `pglite:${fresh}` })
    try {
      expect((await jobs.jobs.list()).map((j) => j.name)).toEqual(expect.arrayContaining(JOBS))
      for (const job of [...FIRST, 'blockchain-write', 'whatsapp-webhook-delivery']) {
        const c = await jobs.runs.counts(job)
        expect(c.waiting + c.delayed + c.active + c.completed, job).toBe(0)
      }
      expect(await jobs.listBackfills({})).toEqual([])
      const { rows } = await jobs.query(
        'SELECT count(*)::int AS n FROM blockchain_queue.credentials',
      )
      expect(rows).toEqual([{ n: 0 }])
    } finally {
      await jobs.stop({ grace: 0 })
    }
  } finally {
    delete process.env.TICKWORK_COMMAND
    await rm(fresh, { recursive: true, force: true })
  }
})
