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
