import { getCountries, type CountryCode } from 'libphonenumber-js'

export interface ContactsSettings {
  /** Whole inbound messages that opt a contact out (case-insensitive, trailing punctuation ignored). */
  optOutKeywords: string[]
  /** Whole inbound messages that opt an opted-out contact back in. */
  optInKeywords: string[]
  /** Region for phone numbers written without a country code (`0812…`). */
  defaultRegion: CountryCode
}

const keywords = (defaults: string[]) => ({
  type: 'array',
  maxItems: 20,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 40 },
  default: defaults,
})

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    optOutKeywords: keywords(['STOP', 'BERHENTI', 'UNSUBSCRIBE']),
    optInKeywords: keywords(['START', 'MULAI']),
    defaultRegion: { type: 'string', enum: getCountries(), default: 'ID' },
  },
}

/** "Berhenti." and " stop! " both read as the keyword; "stop sending promos" does not. */
export function keywordOf(text: string | null | undefined): string | null {
  if (!text) return null
  const word = text.normalize('NFKC').trim().replace(/[\s.!?,;:'"’)(]+$/u, '').replace(/^[\s.!?,;:'"‘(]+/u, '').toUpperCase()
  return word.length > 0 && word.length <= 40 ? word : null
}

export function matchesKeyword(text: string | null | undefined, list: string[]): string | null {
  const word = keywordOf(text)
  if (!word) return null
  return list.find((k) => k.trim().toUpperCase() === word) ?? null
}
