import WebSocket from 'ws'
import type { TestKernel, TestSession } from './harness.ts'
import { readFrame } from '../realtime/protocol.ts'

export interface RealtimeClient {
  socket: WebSocket
  /** Every message the server sent, in arrival order. */
  messages: any[]
  /** The `{ topic, event, data }` messages of one topic (and event, when given), in arrival order. */
  events(topic: string, event?: string): any[]
  waitFor(match: (m: any) => boolean, ms?: number): Promise<any>
  subscribe(topic: string): Promise<any>
  close(): void
}

/** A websocket on the kernel's /api/realtime, authenticated with the session cookie like a browser tab. */
export async function realtimeClient(t: { teardown(fn: () => unknown): void }, port: number, session: TestSession): Promise<RealtimeClient> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`, { headers: { cookie: session.cookie } })
  const messages: any[] = []
  socket.on('message', (m) => messages.push(...(readFrame(m as Buffer) as any[])))
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  t.teardown(() => socket.close())
  const waitFor = async (match: (m: any) => boolean, ms = 3000) => {
    const deadline = Date.now() + ms
    for (;;) {
      const found = messages.find(match)
      if (found) return found
      if (Date.now() > deadline) return undefined
      await new Promise((r) => setTimeout(r, 15))
    }
  }
  return {
    socket,
    messages,
    events: (topic, event) => messages.filter((m) => m.topic === topic && m.event !== undefined && (event === undefined || m.event === event)),
    waitFor,
    async subscribe(topic) {
      socket.send(JSON.stringify({ type: 'subscribe', topic }))
      return waitFor((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'))
    },
    close: () => socket.close(),
  }
}

/** Listens on the kernel's real socket once per kernel. */
const ports = new WeakMap<TestKernel, Promise<number>>()
export function portOf(h: TestKernel): Promise<number> {
  let port = ports.get(h)
  if (!port) ports.set(h, (port = h.server.listen(0, '127.0.0.1')))
  return port
}
