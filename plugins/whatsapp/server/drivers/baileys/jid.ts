import { isHostedLidUser, isHostedPnUser, isLidUser, isPnUser, jidDecode, jidNormalizedUser } from '@whiskeysockets/baileys'

const E164 = /^\+[1-9]\d{6,14}$/

/** `+6281234567890` → `6281234567890@s.whatsapp.net`, or null when it is not E.164. */
export function e164ToJid(e164: string): string | null {
  if (typeof e164 !== 'string') return null
  const text = e164.trim()
  return E164.test(text) ? `${text.slice(1)}@s.whatsapp.net` : null
}

/** A phone-number JID (with or without device, `@s.whatsapp.net` / `@c.us` / `@hosted`) → E.164; null otherwise. */
export function pnJidToE164(jid: string | null | undefined): string | null {
  if (!jid || !(isPnUser(jid) || isHostedPnUser(jid) || jid.endsWith('@c.us'))) return null
  const user = jidDecode(jid)?.user
  return user && /^[1-9]\d{5,14}$/.test(user) ? `+${user}` : null
}

export function isLidJid(jid: string | null | undefined): jid is string {
  return !!jid && !!(isLidUser(jid) || isHostedLidUser(jid))
}

export function isPnJid(jid: string | null | undefined): jid is string {
  return pnJidToE164(jid) !== null
}

/** A LID without device part: `123456789012345@lid`. */
export function normaliseLid(jid: string): string {
  return jidNormalizedUser(jid) || jid
}
