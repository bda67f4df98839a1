import { readdirSync } from 'node:fs'
import { expect, it } from 'vitest'
import { freshSchema, pgClient } from '../helpers.js'
import { startChild } from './children.js'

const db = await pgClient()

// the migrations the built library ships
const shipped = readdirSync(new URL('../../dist/store/migrations/', import.meta.url))
  .filter((f) => /^\d+_.+\.sql$/.test(f))
  .map((f) => ({ version: Number.parseInt(f, 10), name: f.replace(/\.sql$/, '') }))
  .sort((a, b) => a.version - b.version)

it('ten processes migrating one fresh schema at once apply each migration exactly once', async () => {
  expect(shipped.length).toBeGreaterThan(0)
  const schema = freshSchema()
  const children = Array.from({ length: 10 }, () => startChild({ schema, mode: 'migrate' }))
  await Promise.all(children.map((c) => c.printed('ready')))
  // all at once: each waits for this line before calling tw.migrate()
  for (const c of children) c.proc.stdin?.write('go\n')
  const results = await Promise.all(
    children.map(async (c) => ({
      exit: await c.exitWithin(30_000),
      stderr: c.stderr,
      applied: JSON.parse(
        c.lines.find((l) => l.startsWith('applied '))?.slice('applied '.length) ?? 'null',
      ) as number[] | null,
    })),
  )
  for (const r of results) expect(r).toMatchObject({ exit: { code: 0, signal: null }, stderr: '' })
  // one process applied every migration; the other nine found nothing left to do
  const applied = results.map((r) => r.applied)
  expect(applied.filter((a) => a?.length === 0)).toHaveLength(9)
  expect(applied.find((a) => a?.length !== 0)).toEqual(shipped.map((m) => m.version))

  const { rows } = await db.query<{ version: number; name: string }>(
    `SELECT version, name FROM "${schema}".migrations ORDER BY version`,
  )
  expect(rows).toEqual(shipped)
  const tables = await db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
    [schema],
  )
  expect(tables.rows.map((r) => r.t)).toEqual([
    'audit',
    'backfills',
    'chores',
    'items',
    'locks',
    'migrations',
    'queues',
    'run_history',
    'runs',
    'schedules',
    'ticks',
    'watermarks',
  ])
})
