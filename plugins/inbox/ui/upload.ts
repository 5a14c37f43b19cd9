// Attachments go to the whatsapp plugin's media store first (POST /api/whatsapp/media, multipart),
// then the message names the stored file by its id (`mediaId`).
import type { UiHost } from '@sapa/sdk/ui'

const IMAGE = ['image/jpeg', 'image/png', 'image/webp']
const VIDEO = ['video/mp4', 'video/3gpp']
const AUDIO = ['audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr', 'audio/x-m4a']

/** How WhatsApp will show the file; anything it would refuse as media goes as a document. */
export function kindOf(file: File): 'image' | 'video' | 'audio' | 'document' {
  if (IMAGE.includes(file.type)) return 'image'
  if (VIDEO.includes(file.type)) return 'video'
  if (AUDIO.includes(file.type)) return 'audio'
  return 'document'
}

class UploadError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * `host.api` speaks JSON only, so the upload is a plain fetch. It needs the session's CSRF token,
 * which /api/me hands to the signed-in web app.
 */
export async function uploadMedia(host: UiHost, file: File, kind: string): Promise<{ id: string }> {
  const me = await host.api<{ csrfToken?: string }>('/api/me')
  const form = new FormData()
  form.append('kind', kind)
  form.append('file', file, file.name)
  let res: Response
  try {
    res = await fetch('/api/whatsapp/media', { method: 'POST', body: form, credentials: 'same-origin', headers: me.csrfToken ? { 'x-csrf-token': me.csrfToken } : {} })
  } catch (err) {
    throw new UploadError(0, 'network_error', err instanceof Error ? err.message : 'The server cannot be reached')
  }
  const data = (await res.json().catch(() => null)) as { id?: string; error?: { code?: string; message?: string } } | null
  if (!res.ok || !data?.id) throw new UploadError(res.status, data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? res.statusText)
  return { id: data.id }
}
