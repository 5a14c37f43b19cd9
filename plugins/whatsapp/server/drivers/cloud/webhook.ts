import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { InboundMedia, InboundMessage, StatusUpdate } from '../port.ts'
import { contactToVCard } from './vcard.ts'

export { mediaDownloader, type MediaDownloaderOptions } from './media.ts'

/**
 * The Cloud API webhook as pure functions; the routes `GET/POST /api/whatsapp/cloud/:sessionId/webhook`
 * call them. The POST body is attacker-controlled until its signature is checked — and its shapes are
 * checked even then: a bad piece is skipped and reported, and the rest of the batch survives.
 */

export interface ChallengeQuery {
  'hub.mode'?: unknown
  'hub.verify_token'?: unknown
  'hub.challenge'?: unknown
}

/** Meta's challenge is digits; anything that could be markup is not echoed. */
const CHALLENGE = /^[A-Za-z0-9._-]{1,512}$/

/** The subscription handshake: the challenge to echo (as text/plain), or null → 403. */
export function verifyChallenge(query: ChallengeQuery | undefined | null, verifyToken: string): string | null {
  if (!query || typeof query !== 'object') return null
  const mode = query['hub.mode']
  const token = query['hub.verify_token']
  const challenge = query['hub.challenge']
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return null
  if (typeof verifyToken !== 'string' || !verifyToken || !constantTimeEqual(token, verifyToken)) return null
  return CHALLENGE.test(challenge) ? challenge : null
}

/** Equal strings in time independent of where they differ, and of their lengths. */
function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest()
  const hb = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(ha, hb)
}

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/

/** `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the RAW body with the app secret. */
export function verifySignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!(rawBody instanceof Uint8Array) || typeof header !== 'string' || typeof appSecret !== 'string' || !appSecret) return false
  const match = SIGNATURE.exec(header.trim())
  if (!match) return false
  const given = Buffer.from(match[1]!, 'hex')
  const expected = createHmac('sha256', appSecret).update(rawBody).digest()
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export interface ParseWebhookOptions {
  /** This number's phone number id: changes for other numbers are skipped. */
  phoneNumberId: string
  /** The download for a media id (mediaDownloader(config)). Called lazily: nothing is fetched here. */
  media: (mediaId: string) => InboundMedia['download']
}

export interface ParsedWebhook {
  messages: InboundMessage[]
  statuses: StatusUpdate[]
  /** What was skipped and why, one line each (for the log): never thrown. */
  errors: string[]
}

type Json = Record<string, unknown>

class Skip extends Error {}

const MAX_ERRORS = 100
const MAX_TEXT = 65_536
const MAX_ID = 256
const MEDIA_ID = /^[A-Za-z0-9_-]{1,128}$/
const STATUSES = new Set(['sent', 'delivered', 'read', 'failed'])
const MEDIA_TYPES = new Set(['image', 'document', 'audio', 'video', 'sticker'])
/** Valid shapes that carry nothing for the inbox. */
const IGNORED_TYPES = new Set(['system', 'request_welcome'])

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
/** A value quoted for an error line: short, escaped, no control characters. */
const show = (v: unknown) => JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : typeof v).slice(0, 60)

function object(v: unknown, what: string): Json {
  if (!isObject(v)) throw new Skip(`${what} is not an object`)
  return v
}

function string(v: unknown, what: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length === 0) throw new Skip(`${what} is missing or not a string`)
  if (v.length > max) throw new Skip(`${what} is longer than ${max}`)
  return v
}

function optionalString(v: unknown, max = MAX_TEXT): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined
}

function timestamp(v: unknown, what: string): Date {
  const text = typeof v === 'number' ? String(v) : v
  if (typeof text !== 'string' || !/^\d{1,11}$/.test(text)) throw new Skip(`${what} is not a unix time`)
  return new Date(Number(text) * 1000)
}

function coordinate(v: unknown, max: number, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  if (!Number.isFinite(n) || Math.abs(n) > max) throw new Skip(`${what} is not a coordinate`)
  return n
}

/** wa_id digits → E.164 (libphonenumber), Mexico's legacy "521…" ids included; other ids as given. */
export function waIdToAddress(waId: string): string {
  if (!/^\d{6,15}$/.test(waId)) return waId
  const parsed = parsePhoneNumberFromString('+' + waId)
  if (parsed?.isValid()) return parsed.number
  // WhatsApp keeps the mobile "1" Mexico dropped in 2019: 52 1 55… is +52 55….
  if (/^521\d{10}$/.test(waId)) {
    const mexican = parsePhoneNumberFromString('+52' + waId.slice(3))
    if (mexican?.isValid()) return mexican.number
  }
  // Digits WhatsApp delivers from are a phone number even where our metadata lags (or Meta's 555 test numbers).
  return '+' + waId
}

/** The Cloud API webhook body → the port's messages and status updates for this number. */
export function parseWebhook(payload: unknown, opts: ParseWebhookOptions): ParsedWebhook {
  const out: ParsedWebhook = { messages: [], statuses: [], errors: [] }
  const report = (where: string, why: string) => {
    if (out.errors.length < MAX_ERRORS) out.errors.push(`${where}: ${why}`)
    else if (out.errors.length === MAX_ERRORS) out.errors.push('… more errors left out')
  }
  if (!isObject(payload)) {
    report('body', 'not a JSON object')
    return out
  }
  if (payload.object !== undefined && payload.object !== 'whatsapp_business_account') {
    report('body', `object ${show(payload.object)} is not whatsapp_business_account`)
    return out
  }
  if (!Array.isArray(payload.entry)) {
    report('body', 'entry is not a list')
    return out
  }
  payload.entry.forEach((entry, i) => {
    if (!isObject(entry) || !Array.isArray(entry.changes)) return report(`entry[${i}]`, 'has no changes list')
    entry.changes.forEach((change, j) => {
      const where = `entry[${i}].changes[${j}]`
      if (!isObject(change)) return report(where, 'not an object')
      // Other fields (account_update, message_template_status_update, …) are not this parser's.
      if (change.field !== 'messages') return
      const value = change.value
      if (!isObject(value)) return report(where, 'value is not an object')
      const metadata = isObject(value.metadata) ? value.metadata : undefined
      if (typeof metadata?.phone_number_id !== 'string') return report(where, 'value.metadata.phone_number_id is missing')
      if (metadata.phone_number_id !== opts.phoneNumberId) {
        return report(where, `for phone number id ${show(metadata.phone_number_id)}, not this number: skipped`)
      }
      const names = contactNames(value.contacts)
      each(value.messages, `${where}.value.messages`, report, (m, at) => {
        const message = parseMessage(m, names, opts)
        if (message) out.messages.push(message)
        else report(at, `${show(isObject(m) ? m.type : undefined)} message ignored`)
      })
      each(value.statuses, `${where}.value.statuses`, report, (s) => {
        out.statuses.push(parseStatus(s))
      })
      each(value.errors, `${where}.value.errors`, report, (e, at) => {
        report(at, `Meta reported ${errorText(e)}`)
      })
    })
  })
  return out
}

/** Each item of an optional list, a Skip in one reported without losing the others. */
function each(list: unknown, where: string, report: (where: string, why: string) => void, fn: (item: unknown, at: string) => void) {
  if (list === undefined) return
  if (!Array.isArray(list)) return report(where, 'not a list')
  list.forEach((item, k) => {
    const at = `${where}[${k}]`
    try {
      fn(item, at)
    } catch (err) {
      report(at, err instanceof Skip ? err.message : `unreadable (${(err as Error)?.message?.slice(0, 100) ?? 'error'})`)
    }
  })
}

/** wa_id → profile name, from the change's `contacts`. */
function contactNames(contacts: unknown): Map<string, string> {
  const names = new Map<string, string>()
  if (!Array.isArray(contacts)) return names
  for (const c of contacts) {
    if (!isObject(c) || typeof c.wa_id !== 'string') continue
    const name = isObject(c.profile) ? optionalString(c.profile.name, 256) : undefined
    if (name) names.set(c.wa_id, name)
  }
  return names
}

function parseMessage(raw: unknown, names: Map<string, string>, opts: ParseWebhookOptions): InboundMessage | null {
  const m = object(raw, 'the message')
  const providerId = string(m.id, 'id', MAX_ID)
  const waId = string(m.from, 'from', 64)
  const type = string(m.type, 'type', 64)
  if (IGNORED_TYPES.has(type)) return null
  const message: InboundMessage = { providerId, from: waIdToAddress(waId), timestamp: timestamp(m.timestamp, 'timestamp'), type: 'unknown' }
  const name = names.get(waId)
  if (name) message.fromName = name
  if (isObject(m.context) && typeof m.context.id === 'string' && m.context.id.length <= MAX_ID && m.context.id) message.replyTo = m.context.id

  if (type === 'text') {
    message.type = 'text'
    message.text = string(object(m.text, 'text').body, 'text.body')
  } else if (MEDIA_TYPES.has(type)) {
    const body = object(m[type], type)
    const id = string(body.id, `${type}.id`, 128)
    if (!MEDIA_ID.test(id)) throw new Skip(`${type}.id is not a media id`)
    const media: InboundMedia = { download: opts.media(id) }
    const mime = optionalString(body.mime_type, 255)
    if (mime) media.mime = mime
    const caption = optionalString(body.caption)
    if (caption) media.caption = caption
    const filename = type === 'document' ? optionalString(body.filename, 255) : undefined
    if (filename) media.filename = filename
    message.type = type as InboundMessage['type']
    message.media = media
  } else if (type === 'location') {
    const l = object(m.location, 'location')
    message.type = 'location'
    message.location = { latitude: coordinate(l.latitude, 90, 'location.latitude'), longitude: coordinate(l.longitude, 180, 'location.longitude') }
    const placeName = optionalString(l.name, 1000)
    const address = optionalString(l.address, 1000)
    if (placeName) message.location.name = placeName
    if (address) message.location.address = address
  } else if (type === 'reaction') {
    const r = object(m.reaction, 'reaction')
    message.type = 'reaction'
    // No emoji: the customer removed their reaction.
    message.reaction = { providerId: string(r.message_id, 'reaction.message_id', MAX_ID), emoji: typeof r.emoji === 'string' ? r.emoji.slice(0, 32) : '' }
  } else if (type === 'contacts') {
    if (!Array.isArray(m.contacts) || m.contacts.length === 0) throw new Skip('contacts is not a list')
    message.type = 'contacts'
    message.contacts = m.contacts.slice(0, 20).map((c, k) => {
      try {
        return contactToVCard(c)
      } catch (err) {
        throw new Skip(`contacts[${k}]: ${(err as Error).message}`)
      }
    })
  } else if (type === 'interactive') {
    message.type = 'text'
    message.text = interactiveText(object(m.interactive, 'interactive'))
  } else if (type === 'button') {
    // A template's quick-reply button.
    const b = object(m.button, 'button')
    message.type = 'text'
    message.text = optionalString(b.text) ?? string(b.payload, 'button.text')
  }
  // Anything else (unsupported, order, a type newer than this code) is kept as 'unknown':
  // the customer did write, and the inbox says so rather than dropping it.
  return message
}

/** A reply to buttons or a list: the title the customer tapped. */
function interactiveText(i: Json): string {
  const kind = string(i.type, 'interactive.type', 64)
  if (kind === 'button_reply' || kind === 'list_reply') {
    const reply = object(i[kind], `interactive.${kind}`)
    return string(reply.title, `interactive.${kind}.title`, 1000)
  }
  if (kind === 'nfm_reply') {
    const reply = object(i.nfm_reply, 'interactive.nfm_reply')
    return optionalString(reply.body) ?? optionalString(reply.response_json) ?? string(reply.name, 'interactive.nfm_reply.body')
  }
  throw new Skip(`interactive type ${show(kind)} is not known`)
}

function parseStatus(raw: unknown): StatusUpdate {
  const s = object(raw, 'the status')
  const providerId = string(s.id, 'id', MAX_ID)
  const status = string(s.status, 'status', 32)
  if (!STATUSES.has(status)) throw new Skip(`status ${show(status)} is not one we track`)
  const update: StatusUpdate = { providerId, status: status as StatusUpdate['status'], at: timestamp(s.timestamp, 'timestamp') }
  if (status === 'failed') update.error = Array.isArray(s.errors) && s.errors.length ? errorText(s.errors[0]) : 'failed (Meta gave no reason)'
  return update
}

/** Meta's `{ code, title, message, error_data: { details } }` as one line. */
function errorText(e: unknown): string {
  if (!isObject(e)) return 'an unreadable error'
  const title = optionalString(e.title, 200) ?? optionalString(e.message, 200)
  const details = isObject(e.error_data) ? optionalString(e.error_data.details, 300) : undefined
  const code = typeof e.code === 'number' ? ` [Meta ${e.code}]` : ''
  return `${title ?? 'error'}${details && details !== title ? `: ${details}` : ''}${code}`
}
