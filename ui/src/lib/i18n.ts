// Strings in English and Bahasa Indonesia. The choice is remembered; until one is made, the
// workspace's language, then the browser's, decides.
import { createSignal } from 'solid-js'
import en from '../i18n/en.ts'
import id from '../i18n/id.ts'

export type Locale = 'en' | 'id'
export type Messages = Partial<Record<Locale, Record<string, string>>>
export const LOCALES: { key: Locale; label: string; short: string }[] = [
  { key: 'en', label: 'English', short: 'EN' },
  { key: 'id', label: 'Bahasa Indonesia', short: 'ID' },
]

const KEY = 'sapa.locale'
const storedLocale = (): Locale | null => {
  const v = localStorage.getItem(KEY)
  return v === 'en' || v === 'id' ? v : null
}
const browserLocale = (): Locale => (navigator.languages ?? [navigator.language]).some((l) => /^(id|ms)\b/i.test(l)) ? 'id' : 'en'

const [locale, setLocaleSignal] = createSignal<Locale>(storedLocale() ?? browserLocale())
export { locale }
document.documentElement.lang = locale()

/** The user's explicit choice. */
export function setLocale(l: Locale): void {
  localStorage.setItem(KEY, l)
  setLocaleSignal(l)
  document.documentElement.lang = l
}

/** The workspace's language applies when the user has not chosen one. */
export function useWorkspaceLocale(l: string | undefined): void {
  if (storedLocale() || (l !== 'en' && l !== 'id')) return
  setLocaleSignal(l)
  document.documentElement.lang = l
}

const shell: Messages = { en, id }

function fill(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m))
}

/** Looks `key` up in `own` (a plugin's messages) then in the shell's, in the current locale, then English. */
export function translate(own: Messages | undefined, key: string, vars?: Record<string, string | number>): string {
  const l = locale()
  const text = own?.[l]?.[key] ?? shell[l]?.[key] ?? own?.en?.[key] ?? shell.en?.[key] ?? key
  return fill(text, vars)
}

export const t = (key: string, vars?: Record<string, string | number>) => translate(undefined, key, vars)

/** The server's message for an error, unless we have a translation for its code. */
export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string } | null
  if (e?.code) {
    const key = `error.${e.code}`
    const text = t(key)
    if (text !== key) return text
  }
  return e?.message || t('error.unknown')
}

export function formatDate(value: string | Date | null | undefined, timeZone?: string): string {
  if (!value) return '—'
  const d = typeof value === 'string' ? new Date(value) : value
  if (Number.isNaN(d.getTime())) return '—'
  try {
    return new Intl.DateTimeFormat(locale() === 'id' ? 'id-ID' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d)
  } catch {
    return d.toISOString()
  }
}
