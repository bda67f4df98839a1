import { databaseUrl } from './helpers.js'
import { postgresLockSuite } from './lock.conformance.js'

postgresLockSuite('postgres', databaseUrl)
