import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // the reference apps import the package by its name; in tests that is the source, so
  // they share its classes (errors checked with instanceof) with the tests' own imports
  resolve: {
    alias: [
      {
        find: /^tickwork$/,
        replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
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
