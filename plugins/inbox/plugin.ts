import { definePlugin, type QueueJob } from '@sapa/sdk'
import { autoAssign } from './server/assignment.ts'
import { mergeContacts, refreshContact, wakeSnoozed } from './server/conversations.ts'
import type { Deps } from './server/deps.ts'
import type { ContactMergedEvent, ContactsDirectory, WaReceivedEvent, WaStatusEvent, WhatsAppMessages } from './server/ports.ts'
import { PRESENCE_TOPIC, sweepPresence } from './server/presence.ts'
import { createFanout, defineTopics } from './server/realtime.ts'
import { settingsSchema, type InboxSettings } from './server/settings.ts'
import { capture, ingestInbound, onStatus } from './server/thread.ts'
import { conversationRoutes } from './server/routes/conversations.ts'
import { teamRoutes } from './server/routes/teams.ts'
import { presenceRoutes } from './server/routes/presence.ts'
import { quickReplyRoutes } from './server/routes/quick-replies.ts'
import { searchRoutes } from './server/routes/search.ts'
import { agentRoutes } from './server/routes/agents.ts'

type MessageJob = { tenantId: string; messageId: string }

/** Tenants whose maintenance schedule this process has made sure of. */
const scheduled = new Set<string>()

export default definePlugin<InboxSettings>({
  name: 'inbox',
  version: '1.0.0',
  kernel: '^1',
  description: 'The shared team inbox: conversations, threads, assignment, teams, notes, quick replies, agent presence and search',
  dependsOn: ['whatsapp', 'contacts'],
  permissions: {
    'inbox.conversation.view': 'See the conversations assigned to you and to your teams, and their threads',
    'inbox.conversation.view_all': 'See every conversation of the workspace',
    'inbox.conversation.reply': 'Reply to customers, claim conversations, set priority and labels, use quick replies',
    'inbox.conversation.assign': 'Assign, transfer and unassign conversations (other agents, teams)',
    'inbox.conversation.resolve': 'Resolve, reopen, snooze and mark conversations pending',
    'inbox.conversation.note': 'Write private notes and mention colleagues',
    'inbox.team.manage': 'Create teams, change their settings and members',
    'inbox.quickreply.manage': 'Create, change and delete quick replies',
  },
  grants: {
    viewer: ['inbox.conversation.view'],
    junior_agent: ['inbox.conversation.reply', 'inbox.conversation.note'],
    agent: ['inbox.conversation.resolve'],
    senior_agent: ['inbox.conversation.assign'],
    team_lead: ['inbox.conversation.view_all', 'inbox.team.manage', 'inbox.quickreply.manage'],
  },
  settings: settingsSchema,
  ui: {
    nav: [{ id: 'inbox', path: '/inbox', label: { en: 'Inbox', id: 'Kotak masuk' }, icon: 'inbox', permission: 'inbox.conversation.view', order: 10 }],
  },

  async register(ctx) {
    const fanout = createFanout(ctx)
    const deps: Deps = {
      ctx,
      fanout,
      whatsapp: () => ctx.use<WhatsAppMessages>('whatsapp.messages'),
      contacts: () => ctx.use<ContactsDirectory>('contacts.directory'),
      now: () => ctx.clock.now(),
      autoAssignLater(tenantId, teamIds) {
        for (const teamId of new Set(teamIds.filter((id): id is string => Boolean(id)))) {
          ctx.jobs.add('assign', { tenantId, teamId }).catch((err: unknown) => ctx.logger.error({ err, tenantId, teamId }, 'auto-assignment not queued'))
        }
      },
      async ensureMaintenance(tenantId) {
        if (scheduled.has(tenantId)) return
        await ctx.jobs.schedule(tenantId, 'maintenance', { every: 60_000 }, { name: 'maintenance', queue: 'maintenance' })
        scheduled.add(tenantId)
      },
    }

    defineTopics(ctx)
    ctx.realtime.defineTopic(PRESENCE_TOPIC, { permission: 'inbox.conversation.view', id: 'none' })

    ctx.routes(conversationRoutes(deps))
    ctx.routes(teamRoutes(deps))
    ctx.routes(presenceRoutes(deps))
    ctx.routes(quickReplyRoutes(deps))
    ctx.routes(searchRoutes(deps))
    ctx.routes(agentRoutes(deps))

    // Customers' messages: a job per message (durable, retried), keyed by the message so it runs once.
    await ctx.jobs.define<MessageJob>('receive', async (job) => ingestInbound(deps, job.data.tenantId, job.data.messageId), { concurrency: 8 })
    ctx.events.on('whatsapp.message.received', async (event) => {
      const e = event.payload as unknown as WaReceivedEvent
      await ctx.jobs.add('receive', { tenantId: e.tenantId, messageId: e.messageId }, { jobId: `receive-${e.messageId}` })
    })

    // Ticks: applied at once (forward only); what the inbox does not know yet is looked at again by `capture`.
    ctx.events.on('whatsapp.message.status', (event) => onStatus(deps, event.payload as unknown as WaStatusEvent))
    await ctx.jobs.define<MessageJob>('capture', async (job) => capture(deps, job.data.tenantId, job.data.messageId), { concurrency: 4 })

    ctx.events.on('contacts.contact.merged', async (event) => {
      const e = event.payload as unknown as ContactMergedEvent
      await ctx.jobs.add('merge', { tenantId: e.tenantId, fromId: e.fromId, intoId: e.intoId }, { jobId: `merge-${e.fromId}-${e.intoId}` })
    })
    // A contact renamed (or its phone changed): the conversations show it.
    ctx.events.on('contacts.contact.updated', async (event) => {
      const { tenantId, contactId } = event.payload as { tenantId: string; contactId: string }
      await refreshContact(deps, tenantId, contactId)
    })
    await ctx.jobs.define('merge', async (job: QueueJob) => {
      const { tenantId, fromId, intoId } = job.data as unknown as ContactMergedEvent
      await mergeContacts(deps, tenantId, fromId, intoId)
    })

    await ctx.jobs.define<{ tenantId: string; teamId: string }>('assign', async (job) => {
      const assigned = await autoAssign(deps, job.data.tenantId, job.data.teamId)
      return { assigned: assigned.length }
    }, { concurrency: 4 })

    // Every minute per tenant (and at each snooze's time): auto-away and snoozes that ended.
    await ctx.jobs.define('maintenance', async (job: QueueJob) => {
      const away = await sweepPresence(deps, job.data.tenantId)
      const woken = await wakeSnoozed(deps, job.data.tenantId)
      return { away, woken }
    })

    // New thread items reach the browsers watching the conversation once their transaction committed.
    ctx.events.on('inbox.message.created', async (event) => {
      const { tenantId, conversationId, item } = event.payload as { tenantId: string; conversationId: string; item: unknown }
      await fanout.toConversation(tenantId, conversationId, 'message.created', item)
    })
  },

  lifecycle: {
    enableForTenant(_ctx, tenantId) {
      scheduled.delete(tenantId)
    },
    disableForTenant(_ctx, tenantId) {
      scheduled.delete(tenantId) // the kernel removed the schedule: make it again on next use
    },
  },
})
