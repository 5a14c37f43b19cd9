import type { FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { AppError, idParams, type PluginContext } from '@sapa/sdk'
import { MEDIA_RULES, type MediaKind, type MediaStore } from '../media.ts'

const MAX_UPLOAD = MEDIA_RULES.document.maxBytes

/** RFC 5987 ext-value: encodeURIComponent leaves ' ( ) * bare, which are not attr-chars (a ' ends the charset part). */
const rfc5987 = (name: string) => encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

export function mediaRoutes(ctx: PluginContext<any>, media: MediaStore) {
  return async (app: FastifyInstance) => {
    await app.register(multipart, { limits: { files: 1, fileSize: MAX_UPLOAD, fields: 2, fieldSize: 64, parts: 3 } })

    // Upload a file to send: multipart `file`, optional field `kind` (image|video|audio|sticker|document).
    // The type is sniffed from the bytes; the client's Content-Type and file name decide nothing.
    app.post('/media', {
      schema: { tags: ['whatsapp'], consumes: ['multipart/form-data'] },
      config: { permission: 'whatsapp.message.send', rawBody: true },
    }, async (req, reply) => {
      if (!req.isMultipart()) throw new AppError(415, 'multipart_required', 'Upload the file as multipart/form-data with a "file" field')
      let kind: MediaKind = 'document'
      let file: { data: Buffer; filename: string } | null = null
      for await (const part of req.parts()) {
        if (part.type === 'field' && part.fieldname === 'kind') {
          if (!(String(part.value) in MEDIA_RULES)) throw new AppError(400, 'invalid_media_kind', `kind must be one of ${Object.keys(MEDIA_RULES).join(', ')}`, { field: 'kind' })
          kind = String(part.value) as MediaKind
        } else if (part.type === 'file' && part.fieldname === 'file') {
          const data = await part.toBuffer().catch((err: { code?: string }) => {
            if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError(413, 'media_too_large', `Files may be at most ${MAX_UPLOAD / 1048576} MB`)
            throw err
          })
          file = { data, filename: part.filename }
        }
      }
      if (!file) throw new AppError(400, 'file_required', 'Send the file in a "file" field')
      const stored = await media.save(req.principal!.tenant.id, kind, file.data, file.filename)
      return reply.status(201).send({ ...stored, url: `/api/whatsapp/media/${stored.id}` })
    })

    app.get<{ Params: { id: string } }>('/media/:id', {
      schema: { tags: ['whatsapp'], params: idParams },
      config: { permission: 'whatsapp.message.view' },
    }, async (req, reply) => {
      const found = await media.load(req.principal!.tenant.id, req.params.id)
      if (!found) throw new AppError(404, 'media_not_found', 'Media not found')
      const { row, data } = found
      // Never rendered by the browser as a page: active types download as bytes, and the
      // response cannot be sniffed into something else or framed.
      const type = media.isActive(row.mime) ? 'application/octet-stream' : row.mime
      const inline = /^(image\/(jpeg|png|webp|gif)|video\/|audio\/)/.test(type)
      const ascii = row.filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
      return reply
        .header('content-type', type)
        .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${rfc5987(row.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, max-age=86400')
        .send(data)
    })
  }
}
