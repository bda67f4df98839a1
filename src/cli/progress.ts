import type { BackfillStatus } from '../backfill/backfill.js'
import type { Wire } from './output.js'

const WIDTH = 30

const counts = (s: Wire<BackfillStatus>) =>
  `${s.completed + s.failed + s.cancelled}/${s.total} ticks: ${s.completed} completed, ${s.failed} failed, ${s.live} live`

/**
 * Shows a backfill's progress on stderr: on a terminal one bar redrawn in place, else a
 * plain line each time the counts change (a CI log keeps every one). `done` ends the
 * bar's line.
 */
export function backfillProgress(stream: NodeJS.WriteStream = process.stderr) {
  let last = ''
  return {
    update(s: Wire<BackfillStatus>): void {
      const text = counts(s)
      if (text === last) return
      last = text
      if (!stream.isTTY) {
        stream.write(`backfill ${s.id}: ${text}\n`)
        return
      }
      const ended = s.completed + s.failed + s.cancelled
      const filled = s.total === 0 ? WIDTH : Math.round((ended / s.total) * WIDTH)
      const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`
      stream.write(`\r\x1b[2K[${bar}] ${text}`)
    },
    done(): void {
      if (stream.isTTY && last) stream.write('\n')
    },
  }
}
