import { createHash } from 'node:crypto'
import { fileTypeFromBuffer } from 'file-type'
import { AppError, newId, type PluginContext } from '@sapa/sdk'
import { WaMedia } from './models.ts'

/** What each message type accepts, sniffed from the bytes, with WhatsApp's own size caps. */
export const MEDIA_RULES = {
  image: { mimes: ['image/jpeg', 'image/png', 'image/webp'], maxBytes: 5 * 1024 * 1024 },
  video: { mimes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * 1024 * 1024 },
  audio: { mimes: ['audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr', 'audio/x-m4a'], maxBytes: 16 * 1024 * 1024 },
  sticker: { mimes: ['image/webp'], maxBytes: 500 * 1024 },
  document: { mimes: null, maxBytes: 100 * 1024 * 1024 },
} as const

export type MediaKind = keyof typeof MEDIA_RULES

// Never served inline, whatever the file claims to be.
const ACTIVE_TYPES = new Set(['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/xml', 'application/javascript', 'text/javascript'])

/** A file name safe for a Content-Disposition header and a log line: no paths, no control characters. */
export function safeFileName(name: string | undefined, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? ''
  const cleaned = base
    .normalize('NFC')
    // Controls (Cc), every invisible format character (Cf: zero-width, bidi overrides and isolates,
    // word joiner U+2060, BOM U+FEFF, soft hyphen…) and line/paragraph separators; the old list
    // missed U+2060-2064 and U+FEFF, which then reached Content-Disposition and the UI.
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029"<>|:*?]/gu, '')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200)
  return cleaned || fallback
}

/** The MIME type from the bytes (magic numbers), never from the client or the provider. */
export async function sniff(data: Buffer): Promise<string> {
  const type = await fileTypeFromBuffer(data)
  if (type) return type.mime
  // Text formats have no magic number: accept plain UTF-8 text as text/plain, nothing else.
  const sample = data.subarray(0, 4096).toString('utf8')
  if (!sample.includes('\u0000') && !/<(html|svg|script|\?xml)/i.test(sample)) return 'text/plain'
  return 'application/octet-stream'
}

export interface StoredMedia {
  id: string
  mime: string
  size: number
  filename: string
}

export function createMediaStore(ctx: PluginContext<any>) {
  return {
    /** Check the bytes against the kind, store them, record the row. */
    async save(tenantId: string, kind: MediaKind, data: Buffer, filename: string | undefined, trx?: any): Promise<StoredMedia> {
      const rule = MEDIA_RULES[kind]
      if (data.length === 0) throw new AppError(400, 'media_empty', 'The file is empty')
      if (data.length > rule.maxBytes) {
        throw new AppError(413, 'media_too_large', `A ${kind} may be at most ${Math.round(rule.maxBytes / 1048576)} MB`, { maxBytes: rule.maxBytes })
      }
      const mime = await sniff(data)
      if (rule.mimes && !(rule.mimes as readonly string[]).includes(mime)) {
        throw new AppError(415, 'media_type_not_allowed', `This file is ${mime}, not a ${kind} WhatsApp accepts (${rule.mimes.join(', ')})`, { mime })
      }
      if (ACTIVE_TYPES.has(mime)) throw new AppError(415, 'media_type_not_allowed', `${mime} files cannot be sent`, { mime })
      const id = newId()
      const storageKey = `${tenantId}/${id}`
      await ctx.storage.put(storageKey, data)
      const row = {
        id,
        mime,
        size: data.length,
        filename: safeFileName(filename, `${kind}-${id.slice(-8)}`),
        sha256: createHash('sha256').update(data).digest('hex'),
        storage_key: storageKey,
        created_at: ctx.clock.now(),
      }
      await WaMedia.of(tenantId, trx).insert(row as any)
      return { id, mime, size: row.size, filename: row.filename }
    },

    async load(tenantId: string, id: string): Promise<{ row: WaMedia; data: Buffer } | null> {
      const row = await WaMedia.of(tenantId).findById(id)
      if (!row) return null
      const data = await ctx.storage.get(row.storage_key)
      return data ? { row, data } : null
    },

    isActive: (mime: string) => ACTIVE_TYPES.has(mime),
  }
}

export type MediaStore = ReturnType<typeof createMediaStore>
