import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'
import { AppError } from '@sapa/sdk'

// Only what a person types into a phone field: ASCII digits, +, spaces, dashes, dots, brackets.
// Full-width digits, letters or zero-width characters are refused rather than silently guessed.
const TYPED = /^[0-9+\-.() ]{3,32}$/

/**
 * E.164 from what a user typed, with the tenant's default region for national numbers:
 * `0812…`, `+62 812-…` and `62812…` all become `+62812…` for region ID.
 */
export function toE164(input: string, region: CountryCode = 'ID', field = 'to'): string {
  if (typeof input !== 'string' || !TYPED.test(input.trim())) {
    throw new AppError(400, 'invalid_phone', `"${String(input).slice(0, 40)}" is not a phone number (use digits, e.g. 0812… or +62 812…)`, { field })
  }
  let text = input.trim()
  // `62812…` without a plus is how many Indonesian lists write international numbers.
  if (!text.startsWith('+') && !text.startsWith('0') && /^\d{10,15}$/.test(text.replace(/\D/g, ''))) {
    const international = parsePhoneNumberFromString('+' + text.replace(/\D/g, ''))
    if (international?.isValid()) return international.number
  }
  const parsed = parsePhoneNumberFromString(text, region)
  if (!parsed || !parsed.isValid()) {
    throw new AppError(400, 'invalid_phone', `"${text}" is not a valid phone number`, { field })
  }
  return parsed.number
}
