import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'

// What a person types or a spreadsheet holds in a phone cell: ASCII digits, +, spaces, dashes, dots,
// brackets and slashes. Letters, full-width digits or zero-width characters are refused, not guessed.
const TYPED = /^[0-9+\-.()/ ]{3,40}$/

export function isRegion(region: string): region is CountryCode {
  return isSupportedCountry(region)
}

/** A cell's content as phone text: numbers (spreadsheets drop the leading 0) and no-break spaces included. */
function phoneText(input: unknown): string | null {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input > 0 ? String(input) : null
  if (typeof input !== 'string') return null
  let text = input.replace(/[\u00a0\u202f\u2007]/g, ' ').trim()
  if (text.startsWith("'")) text = text.slice(1) // a spreadsheet's "this is text" mark, or our export's escaping
  return text
}

/**
 * E.164 from what a user typed, with the tenant's default region for national numbers, or null.
 * For region ID: `0812…`, `+62 812-…`, `62812…` and `812…` (a spreadsheet that dropped the 0) all
 * become `+62812…`. Bare digits are read as international only when they start with the region's
 * calling code or are not a valid national number.
 */
export function normalizePhone(input: unknown, region: CountryCode): string | null {
  const text = phoneText(input)
  if (text === null || !TYPED.test(text)) return null
  const digits = text.replace(/\D/g, '')
  if (digits.length < 5 || digits.length > 17) return null
  const valid = (candidate: string, defaultRegion?: CountryCode) => {
    const parsed = parsePhoneNumberFromString(candidate, defaultRegion)
    return parsed?.isValid() ? parsed.number : null
  }
  if (text.startsWith('+')) return valid('+' + digits)
  if (text.startsWith('00')) return valid('+' + digits.slice(2)) ?? valid(text, region)
  if (text.startsWith('0')) return valid(text, region)
  const callingCode = getCountryCallingCode(region)
  if (digits.startsWith(callingCode)) {
    const international = valid('+' + digits)
    if (international) return international
  }
  return valid(digits, region) ?? valid('+' + digits)
}

/**
 * How a search text can match stored E.164 phones: the digits anywhere in the number, and for a
 * national form (`0812 3456`) the international prefix it stands for (`+628123456`). Null when the
 * text is not phone-like (it is then only a name or email search).
 */
export function phoneSearchForms(q: string, region: CountryCode): { digits: string; prefix: string | null } | null {
  const text = q.trim()
  if (!/^[0-9+\-.()/ ]+$/.test(text)) return null
  const digits = text.replace(/\D/g, '')
  if (digits.length < 3) return null
  const head = text.replace(/^[^\d+]+/, '') // "(0857) 1111" starts like "0857 1111"
  let prefix: string | null = null
  if (head.startsWith('+')) prefix = '+' + digits
  else if (head.startsWith('00')) prefix = '+' + digits.slice(2)
  else if (head.startsWith('0')) prefix = '+' + getCountryCallingCode(region) + digits.slice(1)
  return { digits, prefix }
}
