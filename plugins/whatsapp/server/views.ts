import type { MessageRow, WaSession } from './models.ts'

/** What the API and realtime show of a number: never its driver config or lease internals. */
export function sessionView(s: WaSession) {
  const detail = (s.status_detail ?? {}) as Record<string, unknown>
  return {
    id: s.id,
    name: s.name,
    driver: s.driver,
    status: s.status,
    phone: s.phone,
    qr: s.status === 'qr' ? (detail.qr ?? null) : null,
    pairingCode: s.status === 'pairing_code' ? (detail.pairingCode ?? null) : null,
    error: (detail.error as string | undefined) ?? null,
    settings: s.settings ?? {},
    connectRequested: s.desired === 'connected',
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  }
}

export function messageView(m: MessageRow) {
  const payload = (m.payload ?? {}) as Record<string, unknown>
  return {
    id: m.id,
    sessionId: m.session_id,
    direction: m.direction,
    providerId: m.provider_id,
    peer: m.peer,
    peerName: m.peer_name,
    type: m.type,
    text: m.text,
    media: m.media_id ? { id: m.media_id, url: `/api/whatsapp/media/${m.media_id}`, ...(payload.media as object | undefined) } : null,
    location: payload.location ?? null,
    reaction: payload.reaction ?? null,
    contacts: payload.contacts ?? null,
    template: payload.template ?? null,
    replyTo: m.reply_to,
    status: m.status,
    error: m.error,
    attempts: m.attempts,
    sentAt: m.sent_at,
    deliveredAt: m.delivered_at,
    readAt: m.read_at,
    createdAt: m.created_at,
  }
}
