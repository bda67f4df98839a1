// Memory over a long run: the Postgres server's total (proportional set size of the
// postmaster and its children, so shared buffers count once), and the growth of a
// series as a least-squares slope.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The postmaster's pid, from `data_directory`/postmaster.pid; undefined if unreadable. */
export async function postmasterPid(runSql) {
  try {
    const dir = (await runSql('SHOW data_directory')).rows[0].data_directory
    const pid = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8')).split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * Memory of the postmaster `pid` and its children in MB: `{ pssMB, rssMB, processes }`
 * (Pss from /proc/<pid>/smaps_rollup: shared pages split among the processes mapping
 * them; RSS counts them in each). Undefined when /proc cannot be read.
 */
export async function postgresMemory(pid) {
  if (!pid) return undefined
  const pids = [pid]
  try {
    for (const d of await readdir('/proc')) {
      if (!/^\d+$/.test(d)) continue
      const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) pids.push(Number(d))
    }
  } catch {
    return undefined
  }
  let pss = 0
  let rss = 0
  let seen = 0
  for (const p of pids) {
    const text = await readFile(`/proc/${p}/smaps_rollup`, 'utf8').catch(() => '')
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
    if (!text) continue
    pss += kb('Pss')
    rss += kb('Rss')
    seen++
  }
  return seen ? { pssMB: pss / 1024, rssMB: rss / 1024, processes: seen } : undefined
}

/** Least-squares slope of `points` ([x, y]), in y per x; undefined under 2 points. */
export function slope(points) {
  if (points.length < 2) return undefined
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den ? num / den : undefined
}

/**
 * The lowest value in each `windowMs` of `samples` ([t, y], sorted by t): a garbage-
 * collected heap's floor, which a leak raises and the sawtooth of allocation does not.
 */
export function windowMinima(samples, windowMs) {
  const out = []
  for (const [t, y] of samples) {
    const w = Math.floor(t / windowMs)
    const last = out.at(-1)
    if (last && last.w === w) {
      if (y < last.y) {
        last.y = y
        last.t = t
      }
    } else out.push({ w, t, y })
  }
  return out.map(({ t, y }) => [t, y])
}
