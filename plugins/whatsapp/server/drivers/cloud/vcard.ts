/**
 * Cloud API sends shared contacts as JSON; the port carries vCards (what Baileys receives as is).
 * vCard 3.0 (RFC 2426), CRLF line ends; every value from the webhook is escaped, every parameter
 * reduced to a safe token, so a crafted contact cannot add lines or properties.
 */

const MAX_VALUE = 1000
const MAX_ITEMS = 20

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string => (typeof v === 'string' ? v.slice(0, MAX_VALUE) : '')
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.slice(0, MAX_ITEMS).filter(isObject) : [])

/** RFC 2426 text escaping: backslash, newline, comma, semicolon. */
export function escapeVCardText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[,;]/g, (c) => '\\' + c)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
}

const param = (v: unknown): string | null => {
  const t = text(v).trim()
  return /^[A-Za-z][A-Za-z0-9-]{0,19}$/.test(t) ? t.toUpperCase() : null
}

/** One webhook `contacts[]` item as a vCard 3.0 string; throws when it holds nothing usable. */
export function contactToVCard(contact: unknown): string {
  if (!isObject(contact)) throw new Error('a contact is not an object')
  const name = isObject(contact.name) ? contact.name : {}
  const first = text(name.first_name)
  const last = text(name.last_name)
  const phones = list(contact.phones)
  const emails = list(contact.emails)
  const formatted =
    text(name.formatted_name).trim() ||
    [text(name.prefix), first, text(name.middle_name), last, text(name.suffix)].filter(Boolean).join(' ').trim() ||
    text(phones[0]?.phone).trim() ||
    text(emails[0]?.email).trim()
  if (!formatted) throw new Error('a contact has neither a name nor a phone')

  const lines = ['BEGIN:VCARD', 'VERSION:3.0']
  lines.push(`N:${[last, first, text(name.middle_name), text(name.prefix), text(name.suffix)].map(escapeVCardText).join(';')}`)
  lines.push(`FN:${escapeVCardText(formatted)}`)
  const org = isObject(contact.org) ? contact.org : undefined
  if (org && (text(org.company) || text(org.department))) lines.push(`ORG:${[text(org.company), text(org.department)].filter(Boolean).map(escapeVCardText).join(';')}`)
  if (org && text(org.title)) lines.push(`TITLE:${escapeVCardText(text(org.title))}`)
  for (const p of phones) {
    const number = text(p.phone).trim()
    const waId = text(p.wa_id)
    if (!number && !waId) continue
    const type = param(p.type)
    const params = [type ? `type=${type}` : null, /^\d{5,20}$/.test(waId) ? `waid=${waId}` : null].filter(Boolean)
    lines.push(`TEL${params.length ? ';' + params.join(';') : ''}:${escapeVCardText(number || '+' + waId)}`)
  }
  for (const e of emails) {
    const address = text(e.email).trim()
    if (!address) continue
    const type = param(e.type)
    lines.push(`EMAIL;type=INTERNET${type ? `;type=${type}` : ''}:${escapeVCardText(address)}`)
  }
  for (const a of list(contact.addresses)) {
    const parts = ['', '', text(a.street), text(a.city), text(a.state), text(a.zip), text(a.country)]
    if (parts.every((p) => !p)) continue
    const type = param(a.type)
    lines.push(`ADR${type ? `;type=${type}` : ''}:${parts.map(escapeVCardText).join(';')}`)
  }
  for (const u of list(contact.urls)) {
    const url = text(u.url).trim()
    if (!url) continue
    const type = param(u.type)
    lines.push(`URL${type ? `;type=${type}` : ''}:${escapeVCardText(url)}`)
  }
  const birthday = text(contact.birthday)
  if (/^\d{4}-\d{2}-\d{2}$/.test(birthday)) lines.push(`BDAY:${birthday}`)
  lines.push('END:VCARD')
  return lines.join('\r\n')
}
