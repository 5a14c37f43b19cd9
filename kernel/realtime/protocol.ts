import type { RawData } from 'ws'
import { MAX_TOPIC_LENGTH } from './topics.ts'
import type { ClientMessage } from './types.ts'

export function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.byteLength, 0)
  return data.byteLength
}

export function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/**
 * The server's side of the wire, for clients: a websocket message holds one JSON message, or a JSON
 * array of them (what one event-loop turn had for the socket), in order.
 */
export function readFrame(data: RawData | string): unknown[] {
  const value: unknown = JSON.parse(typeof data === 'string' ? data : toText(data))
  return Array.isArray(value) ? value : [value]
}

export type ParsedClientMessage = { ok: true; message: ClientMessage } | { ok: false; topic?: string }

/** Reads one client message; on failure, the topic it named (if any), for the error reply. */
export function parseClientMessage(text: string): ParsedClientMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false }
  const { type, topic } = value as Record<string, unknown>
  const named = typeof topic === 'string' && topic.length <= MAX_TOPIC_LENGTH ? topic : undefined
  if (type === 'ping') return { ok: true, message: { type } }
  if ((type === 'subscribe' || type === 'unsubscribe') && named !== undefined) {
    return { ok: true, message: { type, topic: named } }
  }
  return { ok: false, topic: named }
}
