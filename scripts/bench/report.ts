import { readdirSync, readFileSync } from 'node:fs'

/** Small helpers the benchmark areas share. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')

export function table(rows: Record<string, string | number>[]): void {
  if (!rows.length) return
  const keys = Object.keys(rows[0])
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join('  ')
  console.log(line(keys))
  for (const r of rows) console.log(line(keys.map((k) => String(r[k]))))
}

export const rssMb = () => process.memoryUsage().rss / 1024 / 1024

/**
 * CPU seconds used so far by this process and by the local PostgreSQL and Redis servers (from
 * /proc; zero for a server that is not local or on a system without /proc). Per-message CPU is a
 * figure that other load on a shared machine does not blur the way wall-clock rates are blurred.
 */
export function cpuSeconds(): { node: number; postgres: number; redis: number } {
  const usage = process.cpuUsage()
  const result = { node: (usage.user + usage.system) / 1e6, postgres: 0, redis: 0 }
  let pids: string[] = []
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return result
  }
  const ticks = 100 // USER_HZ on Linux
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const key = name.startsWith('postgres') ? 'postgres' : name.startsWith('redis-server') ? 'redis' : null
      if (!key) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      result[key] += (Number(fields[11]) + Number(fields[12])) / ticks // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return result
}

/** CPU milliseconds per item between two cpuSeconds() readings. */
export function cpuPerItem(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, items: number) {
  const per = (k: keyof typeof before) => ((after[k] - before[k]) * 1000) / items
  return { node: per('node'), postgres: per('postgres'), redis: per('redis'), total: per('node') + per('postgres') + per('redis') }
}
