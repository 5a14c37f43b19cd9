import WebSocket from 'ws'
import type { TestKernel, TestSession } from '@sapa/sdk/testing'
import { readFrame } from '@sapa/sdk/testing'

/** A browser-like websocket on /api/realtime (session cookie), recording every message. */
export async function realtimeClient(t: { teardown(fn: () => unknown): void }, h: TestKernel, session: TestSession) {
  const port = await h.server.listen(0, '127.0.0.1')
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`, { headers: { cookie: session.cookie } })
  const messages: any[] = []
  socket.on('message', (m) => messages.push(...(readFrame(m as Buffer) as any[])))
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  t.teardown(() => socket.close())
  const waitFor = async (match: (m: any) => boolean, ms = 5000) => {
    const deadline = Date.now() + ms
    for (;;) {
      const found = messages.find(match)
      if (found || Date.now() > deadline) return found
      await new Promise((r) => setTimeout(r, 15))
    }
  }
  return {
    messages,
    waitFor,
    subscribe(topic: string) {
      socket.send(JSON.stringify({ type: 'subscribe', topic }))
      return waitFor((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'))
    },
  }
}
