import { randomBytes } from 'node:crypto'

export type Part = { name: string; value: string } | { name: string; filename: string; type?: string; data: Buffer | string }

/** A multipart/form-data body built by hand, so tests control every byte (file names, types, sizes). */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----sapa-test-${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`
    if ('filename' in part) head += `; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}`
    chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'))
    chunks.push('filename' in part ? Buffer.from(part.data) : Buffer.from(part.value, 'utf8'))
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** A 1×1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')
/** A minimal PDF (sniffed by its %PDF magic). */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n', 'latin1')
/** An Ogg page header (audio/ogg by magic) followed by filler. */
export const OGG = Buffer.concat([Buffer.from('OggS', 'latin1'), Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1e]), Buffer.from('\x01vorbis', 'latin1'), Buffer.alloc(40)])
