import t from 'tap'
import { createBaileysDriver } from '../server/drivers/baileys/driver.ts'
import { MemoryStateStore, recordingEvents, recordingLogger } from './support/baileys-fake-socket.ts'

/**
 * The real rc14 makeWASocket, offline (WhatsApp cannot be reached from here): with our sealed auth
 * state it is constructed, emits connection "connecting" then "close" with status 408, and the driver
 * answers with "reconnecting" and a scheduled retry. Bounded: the socket's connect timeout is 5 s and
 * the test gives up after 20 s.
 */
t.test('real makeWASocket offline: connecting → close 408 → reconnecting', { timeout: 30_000 }, async (t) => {
  const store = new MemoryStateStore()
  const recorded = recordingEvents()
  const { lines, logger } = recordingLogger()
  const driver = createBaileysDriver(
    {
      tenantId: 't',
      sessionId: 's',
      // A long first backoff so the test sees one round only.
      config: { reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 } },
      events: recorded.events,
      state: store,
      logger,
      now: () => new Date(),
    },
    { socketOptions: { connectTimeoutMs: 5_000, qrTimeout: 5_000 } },
  )
  t.teardown(() => driver.disconnect())

  await driver.connect()
  const deadline = Date.now() + 20_000
  while (!recorded.names().includes('reconnecting') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))

  const names = recorded.names()
  t.equal(names[0], 'connecting')
  t.ok(names.includes('reconnecting'), `driver reacted to the close (statuses: ${names.join(', ')})`)
  const reconnecting = recorded.statuses.find((s) => s.status === 'reconnecting')
  t.ok(reconnecting?.detail?.error, `with the reason: ${reconnecting?.detail?.error}`)
  const closed = lines.find((l) => l.msg === 'WhatsApp connection closed')
  t.equal((closed?.obj as { code?: number })?.code, 408, 'Baileys closed with 408 (no network)')
  t.same(driver.diagnostics().phase, 'waiting', 'a retry is scheduled')
  t.equal(driver.diagnostics().reconnectAttempt, 1)

  await driver.disconnect()
  t.equal(recorded.names().at(-1), 'disconnected')
})
