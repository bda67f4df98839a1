import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker per core but one: on a 2-core machine, one file at
    // a time, while most tests wait on the database and timers. Two workers took the
    // suite from 233 s to 160 s here (3 green runs, server and embedded Postgres).
    maxWorkers: 2,
  },
})
