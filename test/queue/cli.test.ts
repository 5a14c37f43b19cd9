import tap from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { createRedisQueue } from '../../kernel/queue/redis.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const childEnv = { ...process.env, ...env }
  for (const key of Object.keys(env)) if (env[key] === undefined) delete childEnv[key]
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/queue.ts', ...args], { cwd: root, env: childEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

tap.test('without REDIS_URL: one clear line and exit 1', async (t) => {
  const r = await cli(['status'], { REDIS_URL: undefined })
  t.equal(r.code, 1)
  t.match(r.stderr, /^REDIS_URL is not set.*\n$/)
  t.equal(r.stderr.trim().split('\n').length, 1)
})

tap.test('unknown command: usage and exit 2', async (t) => {
  const r = await cli(['frobnicate'], { REDIS_URL: 'redis://127.0.0.1:6379' })
  t.equal(r.code, 2)
  t.match(r.stderr, /usage:/)
})

const redisUrl = process.env.TEST_REDIS_URL
if (!redisUrl) {
  tap.skip('status and retry-failed against Redis: TEST_REDIS_URL is not set', () => {})
} else {
  tap.test('status and retry-failed against Redis', async (t) => {
    const prefix = `sapa-test-${randomBytes(6).toString('hex')}`
    const port = createRedisQueue({ url: redisUrl, prefix })
    t.teardown(async () => {
      await port.close()
      const redis = new Redis(redisUrl)
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
        cursor = next
        if (keys.length) await redis.del(...keys)
      } while (cursor !== '0')
      await redis.quit()
    })
    const q = 'test.cli-failing'
    await port.process(q, async () => {
      throw new Error('down')
    })
    for (const tenantId of ['a', 'a', 'b']) await port.add(q, 'n', { tenantId }, { attempts: 1 })
    await port.add('test.cli-idle', 'n', { tenantId: 'a' }, { delay: 60_000 })
    const deadline = Date.now() + 5000
    while ((await port.counts(q))[q].failed < 3) {
      if (Date.now() > deadline) throw new Error('jobs did not fail')
      await new Promise((r) => setTimeout(r, 20))
    }
    await port.stopProcessing(q)

    const env = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }
    const status = await cli(['status'], env)
    t.equal(status.code, 0, status.stderr)
    const lines = status.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/))
    t.same(lines[0], ['queue', 'waiting', 'delayed', 'active', 'completed', 'failed'])
    t.same(lines.slice(1), [
      ['test.cli-failing', '0', '0', '0', '0', '3'],
      ['test.cli-idle', '0', '1', '0', '0', '0'],
    ])

    const one = await cli(['retry-failed', q, '--tenant', 'a'], env)
    t.equal(one.code, 0, one.stderr)
    t.match(one.stdout, /retried 2 failed jobs in test\.cli-failing for tenant a/)
    t.same((await port.counts(q))[q], { waiting: 2, delayed: 0, active: 0, completed: 0, failed: 1 })
    const rest = await cli(['retry-failed', q, '--prefix', prefix], { REDIS_URL: redisUrl })
    t.match(rest.stdout, /retried 1 failed job in test\.cli-failing/)
  })
}
