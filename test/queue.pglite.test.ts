import { drivers } from './helpers.js'
import { queueConformance } from './queue.conformance.js'

queueConformance(drivers[1])
