import t from 'tap'
import { Connection, Flusher } from '../../kernel/realtime/connection.ts'

function fakeSocket() {
  const sent: Buffer[] = []
  return { sent, readyState: 1, bufferedAmount: 0, send: (data: Buffer) => sent.push(data), close() {}, terminate() {} }
}
const logger = { warn() {}, error() {}, debug() {}, info() {} } as any
const flushed = () => new Promise((resolve) => setTimeout(resolve, 20))

t.test('what a socket gets in one turn leaves as one message; sockets getting the same share one buffer', async (t) => {
  const flusher = new Flusher(0)
  const sockets = [fakeSocket(), fakeSocket(), fakeSocket(), fakeSocket()]
  const [a, b, c, d] = sockets.map((s) => new Connection(s as any, {} as any, logger, 1 << 20, () => {}, flusher))
  const m1 = Buffer.from('{"n":1}')
  const m2 = Buffer.from('{"n":2}')
  const m3 = Buffer.from('{"n":3}')
  for (const connection of [a, b, c]) connection.sendText(m1)
  for (const connection of [a, b]) connection.sendText(m2)
  c.sendText(m3)
  d.sendText(m2)
  await flushed()
  const [sa, sb, sc, sd] = sockets.map((s) => s.sent)
  t.equal(sa.length, 1, 'one websocket message for two events')
  t.same(JSON.parse(sa[0].toString()), [{ n: 1 }, { n: 2 }], 'a JSON array, in order')
  t.equal(sb[0], sa[0], 'the socket waiting for the same messages gets the same buffer (built once)')
  t.same(JSON.parse(sc[0].toString()), [{ n: 1 }, { n: 3 }], 'one waiting for others gets its own')
  t.equal(sd[0].toString(), '{"n":2}', 'a single message goes alone, not in an array')

  a.sendText('{"n":4}')
  await flushed()
  t.same(JSON.parse(sa[1].toString()), { n: 4 }, 'the next turn is a new message')
  t.equal(sb.length, 1, 'and only for the socket it was for')
})

t.test('a socket closed before the flush gets nothing, the others still do', async (t) => {
  const flusher = new Flusher(0)
  const sockets = [fakeSocket(), fakeSocket()]
  const [a, b] = sockets.map((s) => new Connection(s as any, {} as any, logger, 1 << 20, () => {}, flusher))
  a.sendText('{"n":1}')
  b.sendText('{"n":1}')
  sockets[0].readyState = 3
  await flushed()
  t.equal(sockets[0].sent.length, 0)
  t.equal(sockets[1].sent.length, 1)
})
