// One websocket to /api/realtime, opened while something is subscribed. Reconnects with
// exponential backoff (and at once when the server asks), resubscribes every topic.
type Handler = (event: string, data: unknown) => void

const handlers = new Map<string, Set<Handler>>()
/** Topics confirmed on some socket, and on the current one: a topic back on a new socket may have missed events. */
const confirmed = new Set<string>()
let confirmedHere = new Set<string>()

/** The event handlers get when their topic is subscribed again after a reconnect: reload what you show. */
export const RESUBSCRIBED = '$resubscribed'
let socket: WebSocket | null = null
let attempt = 0
let retryTimer: ReturnType<typeof setTimeout> | undefined
let pingTimer: ReturnType<typeof setInterval> | undefined
let stopped = false
let onLoggedOut: () => void = () => {}

export function onRealtimeLoggedOut(fn: () => void): void {
  onLoggedOut = fn
}

const url = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`

function send(message: unknown) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
}

function schedule(delay: number) {
  clearTimeout(retryTimer)
  retryTimer = setTimeout(connect, delay)
}

/** One message from the server. */
function receive(msg: any) {
  if (msg?.type === 'error') {
    console.warn(`realtime: ${msg.code}${msg.topic ? ` (${msg.topic})` : ''}`)
    return
  }
  if (msg?.type === 'subscribed' && typeof msg.topic === 'string') {
    const again = confirmed.has(msg.topic) && !confirmedHere.has(msg.topic)
    confirmed.add(msg.topic)
    confirmedHere.add(msg.topic)
    if (again) dispatch(msg.topic, RESUBSCRIBED, null)
    return
  }
  if (msg?.type) return // unsubscribed, pong, reconnect (the close follows)
  if (typeof msg?.topic !== 'string' || typeof msg?.event !== 'string') return
  dispatch(msg.topic, msg.event, msg.data)
}

function connect() {
  clearTimeout(retryTimer)
  if (stopped || socket || handlers.size === 0) return
  const ws = new WebSocket(url())
  socket = ws
  ws.onopen = () => {
    attempt = 0
    confirmedHere = new Set()
    for (const topic of handlers.keys()) send({ type: 'subscribe', topic })
    clearInterval(pingTimer)
    pingTimer = setInterval(() => send({ type: 'ping' }), 25_000)
  }
  ws.onmessage = (e) => {
    let value: unknown
    try {
      value = JSON.parse(String(e.data))
    } catch {
      return
    }
    // One message, or an array of those the server had for us in one turn (kernel/realtime/connection.ts).
    for (const msg of Array.isArray(value) ? value : [value]) receive(msg)
  }
  ws.onclose = (e) => {
    if (socket === ws) socket = null
    clearInterval(pingTimer)
    if (stopped || handlers.size === 0) return
    if (e.code === 4401) return onLoggedOut()
    if (e.code === 4403) return console.error('realtime: this origin is not allowed (check PUBLIC_URL)')
    // 4000: the server asks us to come back now (new app generation, changed identity).
    const delay = e.code === 4000 ? 50 + Math.random() * 250 : Math.min(30_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5)
    attempt++
    schedule(delay)
  }
}

function dispatch(topic: string, event: string, data: unknown): void {
  for (const h of handlers.get(topic) ?? []) {
    try {
      h(event, data)
    } catch (err) {
      console.error(`realtime handler for ${topic} failed`, err)
    }
  }
}

export function subscribe(topic: string, handler: Handler): () => void {
  let set = handlers.get(topic)
  const isNew = !set
  if (!set) handlers.set(topic, (set = new Set()))
  set.add(handler)
  if (!socket) connect()
  else if (isNew) send({ type: 'subscribe', topic })
  return () => {
    const current = handlers.get(topic)
    if (!current) return
    current.delete(handler)
    if (current.size) return
    handlers.delete(topic)
    confirmed.delete(topic)
    confirmedHere.delete(topic)
    send({ type: 'unsubscribe', topic })
    if (handlers.size === 0) socket?.close(1000, 'no subscriptions')
  }
}

/** After a sign-in or a workspace switch: the identity changed, so reconnect. */
export function restartRealtime(): void {
  stopped = false
  attempt = 0
  const old = socket
  socket = null
  old?.close(1000, 'restart')
  connect()
}

/** After sign-out: close and stay closed until restartRealtime(). Subscriptions are kept. */
export function stopRealtime(): void {
  stopped = true
  clearTimeout(retryTimer)
  socket?.close(1000, 'signed out')
  socket = null
}

/** For tests and the status badge. */
export const realtimeState = () => (socket?.readyState === WebSocket.OPEN ? 'open' : socket ? 'connecting' : 'closed')
