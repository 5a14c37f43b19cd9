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

/** Stores the file (multipart through `host.api`, which adds the session's CSRF header). */
export async function uploadMedia(host: UiHost, file: File, kind: string): Promise<{ id: string }> {
  const form = new FormData()
  form.append('kind', kind)
  form.append('file', file, file.name)
  return host.api<{ id: string }>('/api/whatsapp/media', { method: 'POST', body: form })
}
