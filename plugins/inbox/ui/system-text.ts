// System lines ("Assigned to Sari by Budi") in the reader's language, from the item's payload. The
// server's English text is the fallback for events this does not know or names it cannot find.
import type { UiHost } from '@sapa/sdk/ui'
import { fullTime } from './format.ts'
import type { Item } from './types.ts'

export function systemText(host: UiHost, item: Item, nameOf: (userId: string) => string | null): string {
  const t = host.t
  const fallback = item.text ?? ''
  const p = item.system
  if (!p || typeof p.event !== 'string') return fallback
  const name = (id: unknown) => (typeof id === 'string' ? nameOf(id) : null)
  const by = name(p.by)
  switch (p.event) {
    case 'created':
      return by ? t('inbox.system.created', { by }) : fallback
    case 'status': {
      if (p.reason === 'inbound') return t('inbox.system.reopenedByCustomer')
      if (p.from === 'snoozed' && p.to === 'open' && !p.by) return t('inbox.system.snoozeEnded')
      if (!by) return fallback
      if (p.to === 'snoozed' && typeof p.until === 'string') return t('inbox.system.snoozed', { by, time: fullTime(p.until, host.locale()) })
      return typeof p.to === 'string' ? t(`inbox.system.status.${p.to}`, { by }) : fallback
    }
    case 'assigned': {
      const assignee = name(p.assigneeId)
      if (p.auto) return assignee ? t('inbox.system.autoAssigned', { name: assignee }) : fallback
      if (!by) return fallback
      if (!p.assigneeId) return t('inbox.system.team', { by })
      return assignee ? t('inbox.system.assigned', { name: assignee, by }) : fallback
    }
    case 'transferred': {
      if (!by) return fallback
      if (!p.assigneeId) return t('inbox.system.transferredTeam', { by })
      const assignee = name(p.assigneeId)
      return assignee ? t('inbox.system.transferred', { name: assignee, by }) : fallback
    }
    case 'unassigned':
      return by ? t('inbox.system.unassigned', { by }) : fallback
    case 'merged':
      return t('inbox.system.merged')
    default:
      return fallback
  }
}
