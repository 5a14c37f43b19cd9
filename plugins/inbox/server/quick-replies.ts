import { AppError, isUniqueViolation, newId } from '@sapa/sdk'
import { findVisible, type Viewer } from './access.ts'
import type { Actor, Deps } from './deps.ts'
import { QuickReply } from './models.ts'
import { quickReplyView } from './views.ts'

export interface QuickReplyInput {
  shortcut?: string
  title?: string
  category?: string
  text?: string
}

const normalise = (shortcut: string) => shortcut.replace(/^\//, '').toLowerCase()

export async function listQuickReplies(tenantId: string, opts: { q?: string; category?: string; limit: number; cursor?: string }) {
  const q = QuickReply.of(tenantId).orderBy('shortcut').limit(opts.limit + 1)
  if (opts.category !== undefined) q.where('category', opts.category)
  if (opts.q) {
    // Typing "/pro" finds /promo; words find titles and texts.
    const needle = opts.q.replace(/^\//, '').toLowerCase()
    const like = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    q.where((w) => w.where('shortcut', 'like', `${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`).orWhere('title', 'ilike', like).orWhere('text', 'ilike', like))
  }
  if (opts.cursor) q.where('shortcut', '>', opts.cursor)
  const rows = await q
  const items = rows.slice(0, opts.limit)
  return { items: items.map(quickReplyView), last: rows.length > opts.limit ? items[items.length - 1].shortcut : null }
}

export async function createQuickReply(deps: Deps, tenantId: string, actor: Actor, input: Required<Pick<QuickReplyInput, 'shortcut' | 'title' | 'text'>> & QuickReplyInput) {
  const now = deps.now()
  try {
    const row = await QuickReply.of(tenantId).insert({
      id: newId(),
      shortcut: normalise(input.shortcut),
      title: input.title,
      category: input.category ?? '',
      text: input.text,
      created_by: actor.userId,
      created_at: now,
      updated_at: now,
    } as Partial<QuickReply>)
    return quickReplyView(row)
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError(409, 'shortcut_taken', 'Another quick reply has this shortcut', { field: 'shortcut' })
    throw err
  }
}

export async function updateQuickReply(deps: Deps, tenantId: string, id: string, input: QuickReplyInput) {
  const patch: Record<string, unknown> = { updated_at: deps.now() }
  if (input.shortcut !== undefined) patch.shortcut = normalise(input.shortcut)
  if (input.title !== undefined) patch.title = input.title
  if (input.category !== undefined) patch.category = input.category
  if (input.text !== undefined) patch.text = input.text
  try {
    const [row] = (await QuickReply.of(tenantId).where('id', id).patch(patch as any).returning('*')) as unknown as QuickReply[]
    if (!row) throw new AppError(404, 'quick_reply_not_found', 'Quick reply not found')
    return quickReplyView(row)
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError(409, 'shortcut_taken', 'Another quick reply has this shortcut', { field: 'shortcut' })
    throw err
  }
}

export async function getQuickReply(tenantId: string, id: string) {
  const row = await QuickReply.of(tenantId).findById(id)
  if (!row) throw new AppError(404, 'quick_reply_not_found', 'Quick reply not found')
  return row
}

export async function deleteQuickReply(tenantId: string, id: string) {
  const n = await QuickReply.of(tenantId).where('id', id).delete()
  if (!n) throw new AppError(404, 'quick_reply_not_found', 'Quick reply not found')
}

// ---- rendering -------------------------------------------------------------------------------------

/** `{{contact.name}}` or `{{ contact.name | Kak }}` (a fallback when the value is empty). */
const VARIABLE = /\{\{\s*([a-zA-Z_]+(?:\.[a-zA-Z_]+)*)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g

export const VARIABLES = ['contact.name', 'contact.first_name', 'contact.phone', 'contact.email', 'agent.name', 'agent.first_name', 'agent.email', 'conversation.id', 'tenant.name'] as const

export function renderTemplate(text: string, values: Record<string, string | null | undefined>) {
  const missing = new Set<string>()
  const unknown = new Set<string>()
  const rendered = text.replace(VARIABLE, (whole, name: string, fallback: string | undefined) => {
    const key = name.toLowerCase()
    if (!(VARIABLES as readonly string[]).includes(key)) {
      unknown.add(name)
      return whole
    }
    const value = values[key]
    if (value === null || value === undefined || value === '') {
      if (fallback === undefined) missing.add(key)
      return fallback ?? ''
    }
    return value
  })
  return { text: rendered, missing: [...missing], unknown: [...unknown] }
}

const firstName = (name: string | null | undefined) => (name ? name.trim().split(/\s+/)[0] : null)

/** The quick reply's text with this conversation's values: for the agent to review and send. */
export async function renderQuickReply(deps: Deps, viewer: Viewer, agent: { name: string | null; email: string | null }, tenantName: string, id: string, conversationId: string) {
  const reply = await getQuickReply(viewer.tenantId, id)
  const conversation = await findVisible(viewer, conversationId)
  const contact = await deps.contacts().get(viewer.tenantId, conversation.contact_id)
  const values = {
    'contact.name': contact?.name ?? null,
    'contact.first_name': firstName(contact?.name),
    'contact.phone': contact?.phone ?? conversation.peer,
    'contact.email': contact?.email ?? null,
    'agent.name': agent.name,
    'agent.first_name': firstName(agent.name),
    'agent.email': agent.email,
    'conversation.id': conversation.id,
    'tenant.name': tenantName,
  }
  return { id: reply.id, shortcut: reply.shortcut, ...renderTemplate(reply.text, values) }
}
