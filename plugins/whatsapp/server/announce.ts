import type { PluginContext } from '@sapa/sdk'
import type { MessageRow } from './models.ts'
import { messageView } from './views.ts'

/** A message's new status, for the other plugins (bus) and the number's viewers (realtime). */
export async function announceStatus(ctx: PluginContext<any>, tenantId: string, row: MessageRow): Promise<void> {
  await ctx.events.publish('whatsapp.message.status', { tenantId, messageId: row.id, sessionId: row.session_id, status: row.status, providerId: row.provider_id, error: row.error })
  await ctx.realtime.publish(tenantId, `session:${row.session_id}`, 'message.status', messageView(row))
}
