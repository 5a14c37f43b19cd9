/** What kind of file an upload is, from its bytes (never from its name or Content-Type). */
export function detectFormat(data: Uint8Array): 'csv' | 'xlsx' | 'xls' | 'binary' {
  if (data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) return 'xlsx'
  if (data.length >= 8 && data[0] === 0xd0 && data[1] === 0xcf && data[2] === 0x11 && data[3] === 0xe0) return 'xls'
  const utf16 = data.length >= 2 && ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff))
  if (!utf16) {
    const head = data.subarray(0, 8192)
    for (const byte of head) if (byte === 0) return 'binary'
  }
  return 'csv'
}

/**
 * Text of a CSV: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text"), and
 * Windows-1252 when the bytes are not valid UTF-8 (older Excel "CSV" saves).
 */
export function decodeText(data: Uint8Array): string {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return new TextDecoder('utf-8').decode(data.subarray(3))
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2))
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2))
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data)
  } catch {
    return new TextDecoder('windows-1252').decode(data)
  }
}

const CANDIDATES = [',', ';', '\t', '|'] as const
export type Delimiter = (typeof CANDIDATES)[number]

/** The delimiter of the first line (outside quotes) that occurs most; ties and none → comma. */
export function sniffDelimiter(text: string): Delimiter {
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]))
  let quoted = false
  for (let i = 0; i < text.length && i < 65536; i++) {
    const ch = text[i]
    if (ch === '"') quoted = !quoted
    else if (!quoted && (ch === '\n' || ch === '\r')) break
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1)
  }
  let best: Delimiter = ','
  for (const c of CANDIDATES) if (counts.get(c)! > counts.get(best)!) best = c
  return best
}
