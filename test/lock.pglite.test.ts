import { postgresLockSuite } from './lock.conformance.js'

postgresLockSuite('pglite', () => 'memory://')
