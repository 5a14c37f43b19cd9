import type { FastifyRequest } from 'fastify'

/** Who is on the other end of a realtime socket (provided by the kernel's auth). */
export interface RealtimeIdentity {
  userId: string | null
  apiKeyId: string | null
  tenantId: string
  role: string
  can(permission: string): boolean
}

/**
 * Reads the session cookie or the `Authorization: Bearer` header of the upgrade request; null when
 * the credential is missing or no longer valid. Called again on the same request by `recheckUser`,
 * so it must look the credential up afresh each time (no caching on the request object).
 */
export type RealtimeAuthenticate = (req: FastifyRequest) => Promise<RealtimeIdentity | null>

export interface TopicDefinition {
  /** Permission the identity needs (checked with `identity.can`) before `authorize` is asked. */
  permission?: string
  /** Further check, e.g. that the conversation is one the user may see. `id` is the part after `kind:`. */
  authorize?(identity: RealtimeIdentity, id: string | undefined): Promise<boolean> | boolean
  /** Whether the topic takes an id: `kind` alone (`none`), `kind:<id>` only (`required`), or both. Default `optional`. */
  id?: 'none' | 'required' | 'optional'
}

export type RealtimeErrorCode = 'forbidden' | 'unknown_topic' | 'bad_message' | 'too_many_subscriptions'

/** Messages a client sends. */
export type ClientMessage =
  | { type: 'subscribe'; topic: string }
  | { type: 'unsubscribe'; topic: string }
  | { type: 'ping' }

/** Messages the server sends. */
export type ServerMessage =
  | { type: 'subscribed'; topic: string }
  | { type: 'unsubscribed'; topic: string }
  | { type: 'error'; topic?: string; code: RealtimeErrorCode }
  | { type: 'pong' }
  | { type: 'reconnect' }
  | { topic: string; event: string; data: unknown }

/** Close codes a client should know. */
export const CloseCode = {
  /** Not (or no longer) authenticated: go to login, do not retry blindly. */
  unauthenticated: 4401,
  /** The Origin header is not allowed. */
  forbiddenOrigin: 4403,
  /** Reconnect now (new app generation, or the identity changed). */
  reconnect: 4000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** Too many messages queued without being processed. */
  policy: 1008,
} as const
