import type { Knex } from 'knex'
import { newId } from '@sapa/sdk'
import type { Deps } from './deps.ts'
import { Item } from './models.ts'
import { itemView } from './views.ts'

/**
 * Announces a new thread item once its transaction commits (the bus delivers after commit and drops
 * the event on rollback); the inbox's own handler pushes it to the conversation's realtime topic.
 */
export async function itemCreated(deps: Deps, trx: Knex.Transaction | null, tenantId: string, item: Item, replyTarget?: Item | null): Promise<void> {
  await deps.ctx.events.publish(
    'inbox.message.created',
    { tenantId, conversationId: item.conversation_id, messageId: item.id, kind: item.kind, item: JSON.parse(JSON.stringify(itemView(item, replyTarget))) },
    trx ? { trx } : undefined,
  )
}

/** A system line in the thread ("Assigned to Sari", "Resolved by Budi"): what happened, for everyone who sees the conversation. */
export async function insertSystem(
  deps: Deps,
  trx: Knex.Transaction,
  tenantId: string,
  conversationId: string,
  payload: Record<string, unknown>,
  text: string,
  authorId: string | null = null,
): Promise<Item> {
  const now = deps.now()
  const item = await Item.of(tenantId, trx).insert({
    id: newId(),
    conversation_id: conversationId,
    kind: 'system',
    type: 'system',
    text: text.slice(0, 1000),
    payload,
    status: null,
    status_rank: 0,
    author_id: authorId,
    created_at: now,
    updated_at: now,
  } as Partial<Item>)
  await itemCreated(deps, trx, tenantId, item)
  return item
}
