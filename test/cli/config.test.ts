import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { readSettings, redactUrl } from '../../src/config/settings.js'

// the built library: a config's copy of the classes differs from the one vitest loaded
const LIB = pathToFileURL(join(import.meta.dirname, '../../dist/index.js')).href

describe('settings', () => {
  it('takes the defaults, the variables, and the flags over the variables', () => {
    expect(readSettings({}, {})).toMatchObject({
      schema: 'tickwork',
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'info',
      graceMs: 20_000,
    })
    const s = readSettings(
      { port: '9000' },
      {
        PORT: '3000',
        TICKWORK_GRACE: '2m',
        LOG_LEVEL: 'DEBUG',
        TICKWORK_API_TOKEN: 'a'.repeat(16),
      },
    )
    expect(s).toMatchObject({ port: 9000, graceMs: 120_000, logLevel: 'debug' })
    expect(s.adminTokens).toEqual(['a'.repeat(16)])
  })

  it('reports every bad one at once, by the name it was given as, secrets unshown', () => {
    const secret = 'too-short'
    const env = { PORT: 'abc', CRON_SECRET: secret, DATABASE_URL: 'mysql://u:pw@h/db' }
    const err = (() => {
      try {
        readSettings({ schema: 'Bad-Name' }, env)
      } catch (e) {
        return e as Error & { issues: Array<{ path: string }> }
      }
    })()
    expect(err?.name).toBe('ValidationError')
    expect(err?.issues.map((i) => i.path)).toEqual([
      'DATABASE_URL',
      '--schema',
      'PORT',
      'CRON_SECRET',
    ])
    expect(err?.message).toContain('PORT: expected an integer 0-65535, got "abc"')
    expect(err?.message).toContain('"mysql://u@h/db"')
    expect(err?.message).not.toContain(secret)
    expect(err?.message).not.toContain('pw')
  })

  it('takes passwords and credential parameters out of URLs', () => {
    expect(redactUrl('postgres://me:pw@db:5432/app?sslpassword=x&application_name=a')).toBe(
      'postgres://me@db:5432/app?sslpassword=***&application_name=a',
    )
    expect(redactUrl('pglite:./data')).toBe('pglite:./data')
    // a port out of range: no URL to parse, and still no password shown
    expect(redactUrl('postgres://u:s3cretpw@host:99999/db')).toBe('postgres://u:***@host:99999/db')
    expect(redactUrl('postgres://app:Zx9/k+Q@w@db.internal:5432/prod')).toBe(
      'postgres://app:***@db.internal:5432/prod',
    )
  })
})

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwork-config-'))
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text)
  const before = { ...process.env }
  afterEach(() => {
    process.env = { ...before }
  })

  it('finds none where there is none, and names a module given that is missing', async () => {
    expect(await loadConfig(undefined, { schema: 'x' }, dir)).toBeUndefined()
    await expect(loadConfig('missing.ts', { schema: 'x' }, dir)).rejects.toThrow(
      /config module not found: missing\.ts/,
    )
  })

  it('loads a TypeScript module whose export reads the environment the flags set', async () => {
    write(
      'env.ts',
      `import { Tickwork } from '${LIB}'
const database: string = process.env.DATABASE_URL as string
export const tickwork = new Tickwork({ database, schema: process.env.TICKWORK_SCHEMA, logger: false })
tickwork.job('a', { run: () => {} })`,
    )
    const got = await loadConfig('env.ts', { database: 'memory://', schema: 'flagged' }, dir)
    expect(process.env).toMatchObject({ DATABASE_URL: 'memory://', TICKWORK_SCHEMA: 'flagged' })
    expect((await got?.tw.jobs.list())?.map((j) => j.name)).toEqual(['a'])
    await got?.tw.stop()
  })

  it('calls an exported function with the settings', async () => {
    write(
      'fn.mjs',
      `import { Tickwork } from '${LIB}'
export default async (settings) => {
  globalThis.configSettings = settings
  return new Tickwork({ ...settings, database: 'memory://' })
}`,
    )
    const got = await loadConfig('fn.mjs', { schema: 'from_settings', logger: false }, dir)
    expect(got?.path).toBe(join(dir, 'fn.mjs'))
    expect((globalThis as { configSettings?: unknown }).configSettings).toEqual({
      schema: 'from_settings',
      logger: false,
    })
    await got?.tw.stop()
  })

  it('says what is wrong with a module that throws or exports something else', async () => {
    write('throws.ts', `throw new Error('no JOBS_TOKEN in the environment')`)
    write('number.ts', 'export default 42')
    write('fnthrows.ts', `export default () => { throw new Error('bad settings') }`)
    await expect(loadConfig('throws.ts', { schema: 'x' }, dir)).rejects.toThrow(
      /config module throws\.ts failed to load: no JOBS_TOKEN in the environment/,
    )
    await expect(loadConfig('number.ts', { schema: 'x' }, dir)).rejects.toThrow(
      /number\.ts: expected its default export .* a Tickwork, or a function returning one; got number/,
    )
    await expect(loadConfig('fnthrows.ts', { schema: 'x' }, dir)).rejects.toThrow(
      /fnthrows\.ts: its function threw: bad settings/,
    )
  })
})
