import tap from 'tap'
import { randomBytes } from 'node:crypto'
import { createQueue, JOB_STATES, SKIPPED } from '../../kernel/queue/index.ts'

tap.test('createQueue: inline without a Redis URL', async (t) => {
  const port = createQueue({})
  t.equal(port.kind, 'inline')
  t.same(JOB_STATES, ['waiting', 'delayed', 'active', 'completed', 'failed'])
  t.same(SKIPPED, { skipped: true, reason: 'gate' })
  await port.close()
})

const redisUrl = process.env.TEST_REDIS_URL
if (!redisUrl) {
  tap.skip('createQueue: redis with a URL (TEST_REDIS_URL is not set)', () => {})
} else {
  tap.test('createQueue: redis with a URL', async (t) => {
    const port = createQueue({ redisUrl, prefix: `sapa-test-${randomBytes(6).toString('hex')}` })
    t.equal(port.kind, 'redis')
    t.same(await port.schedules('test.none'), [])
    t.same(await port.queues(), [], 'asking did not create the queue')
    await port.close()
  })
}
