import { isUuid, type PluginContext } from '@sapa/sdk'
import { canSee, VIEW_ALL, viewerOfIdentity } from './access.ts'
import { TeamMember } from './models.ts'

/**
 * Topics, designed so that a publish never reaches someone who may not see it:
 * - `conversation:<id>` — one conversation's thread (new items, ticks, reactions, changes). Subscribing
 *   runs the visibility rule in SQL for that conversation.
 * - `inbox:all` — every conversation's changes; only for `inbox.conversation.view_all`.
 * - `inbox:user.<userId>` — the changes of the conversations this user may see (assigned to them, or in
 *   one of their teams); only the user themself may subscribe. The server fans each change out to the
 *   current assignee and the current team's members, looked up at publish time, so leaving a team or
 *   losing an assignment takes effect with the next event (no stale subscription to a team topic).
 */
export const conversationTopic = (id: string) => `conversation:${id}`
export const INBOX_ALL = 'inbox:all'
export const userTopic = (userId: string) => `inbox:user.${userId}`

export function defineTopics(ctx: PluginContext<any>) {
  ctx.realtime.defineTopic('conversation', {
    permission: 'inbox.conversation.view',
    id: 'required',
    authorize: async (identity, id) => Boolean(id && isUuid(id) && (await canSee(await viewerOfIdentity(identity), id))),
  })
  ctx.realtime.defineTopic('inbox', {
    permission: 'inbox.conversation.view',
    id: 'required',
    authorize: (identity, id) => {
      if (id === 'all') return identity.can(VIEW_ALL) === true
      if (id?.startsWith('user.')) return identity.userId !== null && id === `user.${identity.userId}`
      return false
    },
  })
}

export interface Scope {
  assignee_id: string | null
  team_id: string | null
}

export function createFanout(ctx: PluginContext<any>) {
  async function usersOf(tenantId: string, scopes: Scope[]): Promise<Set<string>> {
    const users = new Set<string>()
    const teams = new Set<string>()
    for (const s of scopes) {
      if (s.assignee_id) users.add(s.assignee_id)
      if (s.team_id) teams.add(s.team_id)
    }
    if (teams.size) {
      const members = await TeamMember.of(tenantId).whereIn('team_id', [...teams]).select('user_id')
      for (const m of members) users.add(m.user_id)
    }
    return users
  }

  async function safely(tenantId: string, topic: string, event: string, data: unknown) {
    try {
      await ctx.realtime.publish(tenantId, topic, event, data)
    } catch (err) {
      ctx.logger.warn({ err, topic, event }, 'inbox realtime publish failed')
    }
  }

  return {
    /** One conversation's own topic. */
    async toConversation(tenantId: string, conversationId: string, event: string, data: unknown) {
      await safely(tenantId, conversationTopic(conversationId), event, data)
    },

    /**
     * To everyone who may see a conversation in this scope (view_all holders and the scope's users).
     * `previous`: the scope before a change; its users who no longer see it get `conversation.hidden`.
     */
    async toInbox(tenantId: string, scope: Scope, event: string, data: unknown, previous?: Scope) {
      const now = await usersOf(tenantId, [scope])
      const tasks: Promise<void>[] = [safely(tenantId, INBOX_ALL, event, data)]
      for (const userId of now) tasks.push(safely(tenantId, userTopic(userId), event, data))
      if (previous) {
        const before = await usersOf(tenantId, [previous])
        const id = (data as { id?: string; conversationId?: string })?.id ?? (data as { conversationId?: string })?.conversationId
        for (const userId of before) if (!now.has(userId)) tasks.push(safely(tenantId, userTopic(userId), 'conversation.hidden', { id }))
      }
      await Promise.all(tasks)
    },

    async toUser(tenantId: string, userId: string, event: string, data: unknown) {
      await safely(tenantId, userTopic(userId), event, data)
    },
  }
}

export type Fanout = ReturnType<typeof createFanout>
