import type { Logger } from '../bus/logger.ts'
import type { RealtimeIdentity, TopicDefinition } from './types.ts'

const KIND = /^[a-z][a-z0-9_-]{0,63}$/
const ID = /^[A-Za-z0-9_.@-]{1,128}$/
export const MAX_TOPIC_LENGTH = 200

export interface ParsedTopic {
  kind: string
  id: string | undefined
}

/** `kind` or `kind:<id>`; null when the string is not a well-formed topic. */
export function parseTopic(topic: unknown): ParsedTopic | null {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) return null
  const colon = topic.indexOf(':')
  const kind = colon === -1 ? topic : topic.slice(0, colon)
  const id = colon === -1 ? undefined : topic.slice(colon + 1)
  if (!KIND.test(kind)) return null
  if (id !== undefined && !ID.test(id)) return null
  return { kind, id }
}

export type TopicCheck = 'allowed' | 'forbidden' | 'unknown_topic'

export class TopicRegistry {
  private readonly definitions = new Map<string, TopicDefinition>()

  constructor(private readonly logger: Logger) {}

  define(kind: string, definition: TopicDefinition): void {
    if (!KIND.test(kind)) throw new TypeError(`invalid realtime topic kind "${kind}"`)
    if (this.definitions.has(kind)) throw new Error(`realtime topic "${kind}" is already defined`)
    if (definition.authorize !== undefined && typeof definition.authorize !== 'function') {
      throw new TypeError(`realtime topic "${kind}": authorize must be a function`)
    }
    this.definitions.set(kind, { ...definition })
  }

  /** A plugin unloading takes its topics with it (existing subscriptions simply stop receiving). */
  undefine(kind: string): void {
    this.definitions.delete(kind)
  }

  /** Whether `identity` may subscribe to `topic` now. Never throws: a failing check is a refusal. */
  async check(identity: RealtimeIdentity, topic: ParsedTopic): Promise<TopicCheck> {
    const definition = this.definitions.get(topic.kind)
    if (!definition) return 'unknown_topic'
    const idRule = definition.id ?? 'optional'
    if ((idRule === 'none' && topic.id !== undefined) || (idRule === 'required' && topic.id === undefined)) {
      return 'unknown_topic'
    }
    try {
      if (definition.permission !== undefined && identity.can(definition.permission) !== true) return 'forbidden'
      if (definition.authorize && (await definition.authorize(identity, topic.id)) !== true) return 'forbidden'
      return 'allowed'
    } catch (err) {
      this.logger.error({ err, kind: topic.kind, tenantId: identity.tenantId }, 'realtime topic check failed; refused')
      return 'forbidden'
    }
  }
}
