/**
 * Queue tools for operators (Redis mode only: the inline queue lives inside the running process).
 *
 *   npx tsx scripts/queue.ts status
 *   npx tsx scripts/queue.ts retry-failed <queue> [--tenant <id>]
 *
 * Environment: REDIS_URL (required), REDIS_PREFIX (default `sapa`, as the server; `--prefix` overrides).
 */
import { parseArgs } from 'node:util'
import { createRedisQueue, DEFAULT_PREFIX } from '../kernel/queue/redis.ts'
import { JOB_STATES } from '../kernel/queue/port.ts'

const USAGE = 'usage: npx tsx scripts/queue.ts status | retry-failed <queue> [--tenant <id>]  [--prefix <p>]  (needs REDIS_URL)'

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)))
  return rows.map((r) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ')).join('\n')
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { tenant: { type: 'string' }, prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`, 2)
  }
  const { values, positionals } = parsed
  const [command, queueName, ...extra] = positionals
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (command !== 'status' && command !== 'retry-failed') fail(USAGE, 2)
  if (command === 'status' && (queueName !== undefined || values.tenant !== undefined)) fail(USAGE, 2)
  if (command === 'retry-failed' && (queueName === undefined || extra.length > 0)) fail(USAGE, 2)

  const url = process.env.REDIS_URL
  if (!url) fail('REDIS_URL is not set: queue tools need Redis (the inline queue lives inside the running process).')

  const port = createRedisQueue({
    url,
    prefix: values.prefix ?? process.env.REDIS_PREFIX ?? DEFAULT_PREFIX,
    logger: { warn: () => {}, error: (o) => process.stderr.write(`${JSON.stringify(o)}\n`) },
  })
  try {
    if (command === 'status') {
      const counts = await port.counts()
      const names = Object.keys(counts).sort()
      if (names.length === 0) {
        process.stdout.write('no queues\n')
        return
      }
      const rows = [['queue', ...JOB_STATES], ...names.map((name) => [name, ...JOB_STATES.map((s) => String(counts[name][s]))])]
      process.stdout.write(`${table(rows)}\n`)
    } else {
      const n = await port.retryFailed(queueName as string, values.tenant !== undefined ? { tenantId: values.tenant } : {})
      const scope = values.tenant !== undefined ? ` for tenant ${values.tenant}` : ''
      process.stdout.write(`retried ${n} failed job${n === 1 ? '' : 's'} in ${queueName}${scope}\n`)
    }
  } finally {
    await port.close()
  }
}

main().catch((err: unknown) => fail(`queue: ${err instanceof Error ? err.message : String(err)}`))
