import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { DriverError, type DriverContext, type OutboundMessage, type WhatsAppDriver } from '../port.ts'
import { backoffDelay } from '../backoff.ts'
import { LruMap } from '../lru.ts'
import { resolveCloudConfig, type CloudConfig } from './config.ts'
import { classify, graphRequest, GraphFailure, RATE_BASE_MS, RATE_MAX_MS, toDriverError, transportFailure, type GraphDeps, type RateLimitKind } from './graph.ts'

/**
 * The official WhatsApp Business Cloud API as a WhatsAppDriver. Sending is plain HTTPS to Graph;
 * inbound messages and acks arrive through the webhook (webhook.ts), which the routes hand to the
 * pipeline — this object never receives anything itself. There is no QR and no pairing: the number
 * is "connected" once Meta accepts the token for the phone number id.
 */
export interface CloudDriverDeps extends GraphDeps {
  /** 0..1, for the jitter on rate-limit waits. Tests pass () => 0.5 for exact waits. */
  random?: () => number
}

/** What Cloud API accepts per media kind (Meta's documented types and sizes). */
export const CLOUD_MEDIA_RULES = {
  image: { mimes: ['image/jpeg', 'image/png'], maxBytes: 5 * 1024 * 1024 },
  video: { mimes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * 1024 * 1024 },
  audio: { mimes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * 1024 * 1024 },
  document: { mimes: null, maxBytes: 100 * 1024 * 1024 },
} as const

type CloudMediaKind = keyof typeof CLOUD_MEDIA_RULES

// What MIME sniffers call the same formats.
const MIME_ALIASES: Record<string, string> = { 'audio/x-m4a': 'audio/mp4', 'audio/m4a': 'audio/mp4', 'audio/opus': 'audio/ogg', 'image/jpg': 'image/jpeg', 'audio/mp3': 'audio/mpeg' }

const TEXT_MAX = 4096
const CAPTION_MAX = 1024
const UPLOAD_TIMEOUT_MIN_MS = 60_000
/** Rate-limit state kept per driver: one global key plus one per recipient for pair limits. */
const MAX_LIMIT_KEYS = 1000
const MAX_UPLOAD_CACHE = 200

export function createCloudDriver(ctx: DriverContext<CloudConfig>, deps: CloudDriverDeps = {}): WhatsAppDriver {
  const config = resolveCloudConfig(ctx.config)
  const random = deps.random ?? Math.random
  const phoneNumberId = encodeURIComponent(config.phoneNumberId)
  let connected = false
  let generation = 0

  // Rate limits: a streak per key grows the wait (so a storm backs off instead of retrying in a
  // storm), and while a key is paused sends fail fast here instead of hitting Meta again.
  const limits = new LruMap<string, { streak: number; until: number }>(MAX_LIMIT_KEYS)
  // Media uploaded for a message that then failed to send: its retry reuses the media id.
  const uploaded = new LruMap<string, string>(MAX_UPLOAD_CACHE)

  const now = () => ctx.now().getTime()
  const limitKey = (kind: RateLimitKind, to: string) => (kind === 'pair' ? `pair:${to}` : 'global')

  function checkPaused(to: string) {
    const t = now()
    for (const key of ['global', `pair:${to}`]) {
      const limit = limits.get(key)
      if (limit && limit.until > t) {
        throw new DriverError(
          key === 'global' ? "Meta's rate limit for this number is in effect; waiting before sending again" : 'Too many messages to this recipient in a short time; waiting before sending again',
          'rate_limited',
          true,
          limit.until - t,
        )
      }
    }
  }

  function onSuccess(to: string) {
    for (const key of ['global', `pair:${to}`]) {
      const limit = limits.get(key)
      if (!limit) continue
      // Decay, not reset: one success among many limits must not bring the storm back.
      if (limit.streak <= 1) limits.delete(key)
      else limit.streak -= 1
    }
  }

  function failure(err: unknown, to: string): DriverError {
    if (err instanceof DriverError) return err
    const c = classify(err instanceof GraphFailure ? err : transportFailure(err, config.timeoutMs))
    if (!c.rateLimit) return toDriverError(c)
    const key = limitKey(c.rateLimit, to)
    const streak = (limits.get(key)?.streak ?? 0) + 1
    const wait = c.retryAfterMs ?? backoffDelay(streak - 1, { initialDelayMs: RATE_BASE_MS[c.rateLimit], maxDelayMs: RATE_MAX_MS, jitter: 0.2 }, random)
    limits.set(key, { streak, until: now() + wait })
    ctx.logger.warn({ sessionId: ctx.sessionId, kind: c.rateLimit, streak, waitMs: wait }, 'cloud api rate limit')
    return toDriverError(c, wait)
  }

  async function upload(message: OutboundMessage, kind: CloudMediaKind, mime: string): Promise<string> {
    const media = message.media!
    const cacheKey = `${message.id}:${media.data.length}`
    const cached = uploaded.get(cacheKey)
    if (cached) return cached
    const form = new FormData()
    form.append('messaging_product', 'whatsapp')
    form.append('type', mime)
    form.append('file', new Blob([new Uint8Array(media.data)], { type: mime }), fileName(media.filename, kind, mime))
    const res = await graphRequest<{ id?: unknown }>(config, deps, { method: 'POST', path: `${phoneNumberId}/media`, form, timeoutMs: Math.max(config.timeoutMs, UPLOAD_TIMEOUT_MIN_MS) })
    if (typeof res.id !== 'string' || !res.id) throw new DriverError('Meta accepted the media upload but returned no media id', 'bad_response', true)
    uploaded.set(cacheKey, res.id)
    return res.id
  }

  async function payloadFor(message: OutboundMessage, to: string): Promise<Record<string, unknown>> {
    const base: Record<string, unknown> = { messaging_product: 'whatsapp', recipient_type: 'individual', to }
    if (message.replyTo && message.type !== 'reaction') base.context = { message_id: message.replyTo }
    switch (message.type) {
      case 'text': {
        const body = message.text ?? ''
        if (!body.trim()) throw invalid('A text message needs text')
        if (body.length > TEXT_MAX) throw invalid(`A WhatsApp text is at most ${TEXT_MAX} characters (this one has ${body.length})`)
        return { ...base, type: 'text', text: { body, preview_url: false } }
      }
      case 'image':
      case 'video':
      case 'audio':
      case 'document': {
        const media = message.media
        if (!media?.data?.length) throw invalid(`A ${message.type} message needs its file`)
        const mime = cloudMime(message.type, media.mime)
        const rule = CLOUD_MEDIA_RULES[message.type]
        if (media.data.length > rule.maxBytes) throw new DriverError(`Cloud API takes a ${message.type} of at most ${Math.round(rule.maxBytes / 1048576)} MB`, 'media_too_large', false)
        const caption = media.caption ?? message.text
        if (caption && caption.length > CAPTION_MAX) throw invalid(`A caption is at most ${CAPTION_MAX} characters`)
        const id = await upload(message, message.type, mime)
        const object: Record<string, unknown> = { id }
        // Audio takes no caption on WhatsApp.
        if (caption && message.type !== 'audio') object.caption = caption
        if (message.type === 'document' && media.filename) object.filename = media.filename.slice(0, 240)
        return { ...base, type: message.type, [message.type]: object }
      }
      case 'location': {
        const l = message.location
        if (!l || !validCoordinate(l.latitude, 90) || !validCoordinate(l.longitude, 180)) throw invalid('A location needs a latitude (-90..90) and a longitude (-180..180)')
        const location: Record<string, unknown> = { latitude: l.latitude, longitude: l.longitude }
        if (l.name) location.name = l.name
        if (l.address) location.address = l.address
        return { ...base, type: 'location', location }
      }
      case 'reaction': {
        const r = message.reaction
        if (!r?.providerId || typeof r.emoji !== 'string') throw invalid('A reaction needs the target message and an emoji')
        return { ...base, type: 'reaction', reaction: { message_id: r.providerId, emoji: r.emoji } }
      }
      case 'template': {
        const t = message.template
        if (!t?.name || !t.language) throw invalid('A template message needs the template name and language')
        const template: Record<string, unknown> = { name: t.name, language: { code: t.language } }
        if (t.components?.length) template.components = t.components
        return { ...base, type: 'template', template }
      }
      default:
        throw invalid(`Cloud API driver cannot send a "${String((message as { type: unknown }).type)}" message`)
    }
  }

  return {
    capabilities: { qr: false, pairingCode: false, templates: true, reactions: true, typingPresence: false },

    async connect() {
      const mine = ++generation
      ctx.events.status('connecting')
      try {
        const res = await graphRequest<{ display_phone_number?: unknown; verified_name?: unknown }>(config, deps, {
          method: 'GET',
          path: phoneNumberId,
          query: { fields: 'display_phone_number,verified_name' },
        })
        if (mine !== generation) return // disconnected while we asked
        connected = true
        const phone = typeof res.display_phone_number === 'string' ? displayToE164(res.display_phone_number) : undefined
        ctx.logger.info({ sessionId: ctx.sessionId, phone, verifiedName: typeof res.verified_name === 'string' ? res.verified_name : undefined }, 'cloud api number verified')
        ctx.events.status('connected', phone ? { phone } : undefined)
      } catch (err) {
        if (mine !== generation) return
        connected = false
        const c = classify(err instanceof GraphFailure ? err : transportFailure(err, config.timeoutMs))
        const error =
          c.code === 'auth_failed' ? c.message
          : c.code === 'not_found' ? `The phone number id ${config.phoneNumberId} is unknown to Meta or not reachable with this token: ${c.message}`
          : c.retryable ? `Could not verify the number with Meta right now (connect again to retry): ${c.message}`
          : c.message
        ctx.logger.warn({ sessionId: ctx.sessionId, code: c.code }, 'cloud api connect failed')
        ctx.events.status('failed', { error })
      }
    },

    async disconnect() {
      generation++
      connected = false
      ctx.events.status('disconnected')
    },

    async logout() {
      // Nothing to tear down at Meta: the token and the webhook stay the app's business.
      generation++
      connected = false
      limits.clear()
      uploaded.clear()
      await ctx.state.clear()
      ctx.events.status('logged_out')
    },

    async send(message) {
      if (!connected) throw new DriverError('The Cloud API number is not connected', 'not_connected', true)
      const to = recipient(message.to)
      checkPaused(to)
      try {
        const payload = await payloadFor(message, to)
        const res = await graphRequest<{ messages?: Array<{ id?: unknown }> }>(config, deps, { method: 'POST', path: `${phoneNumberId}/messages`, json: payload })
        onSuccess(to)
        const id = Array.isArray(res.messages) ? res.messages[0]?.id : undefined
        // Not retryable: Meta may well have sent it, and a retry would send it twice.
        if (typeof id !== 'string' || !id) throw new DriverError('Meta accepted the message but returned no message id', 'bad_response', false)
        for (const key of uploaded.keys()) if (key.startsWith(`${message.id}:`)) uploaded.delete(key)
        return { providerId: id }
      } catch (err) {
        throw failure(err, to)
      }
    },
  }
}

function invalid(message: string): DriverError {
  return new DriverError(message, 'invalid_message', false)
}

/** `+6281…` → `6281…` (Graph takes digits); anything else is not a recipient. */
function recipient(to: string): string {
  const digits = typeof to === 'string' ? to.trim().replace(/^\+/, '') : ''
  if (!/^[1-9]\d{5,14}$/.test(digits)) throw new DriverError(`"${String(to).slice(0, 40)}" is not a phone number in E.164 form`, 'invalid_recipient', false)
  return digits
}

function validCoordinate(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= max
}

/** The MIME type Cloud API wants for this kind, or a clear refusal before anything is uploaded. */
function cloudMime(kind: CloudMediaKind, mime: string): string {
  const bare = (mime ?? '').split(';')[0]!.trim().toLowerCase()
  const normal = MIME_ALIASES[bare] ?? bare
  const allowed = CLOUD_MEDIA_RULES[kind].mimes as readonly string[] | null
  if (!/^[a-z0-9][a-z0-9.+-]*\/[a-z0-9][a-z0-9.+-]*$/.test(normal)) throw invalid(`"${bare.slice(0, 60)}" is not a MIME type`)
  if (allowed && !allowed.includes(normal)) {
    throw new DriverError(`Cloud API does not take ${normal} as ${kind === 'image' ? 'an' : 'a'} ${kind} (it takes ${allowed.join(', ')}); send it as a document instead`, 'unsupported_media', false)
  }
  return normal
}

function fileName(name: string | undefined, kind: string, mime: string): string {
  const clean = (name ?? '').split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200)
  if (clean) return clean
  const ext = mime.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin'
  return `${kind}.${ext}`
}

/** "+62 812-3456-7890" or "15550783881" → E.164; Meta's test numbers (555) stay "+" and digits. */
export function displayToE164(display: string): string | undefined {
  const digits = display.replace(/\D/g, '')
  if (digits.length < 6 || digits.length > 15) return undefined
  const parsed = parsePhoneNumberFromString('+' + digits)
  return parsed?.isValid() ? parsed.number : '+' + digits
}
