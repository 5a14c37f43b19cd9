// Dates, times and sizes in the user's language (Intl), in the browser's time zone.

type Locale = 'en' | 'id'
const tag = (l: Locale) => (l === 'id' ? 'id-ID' : 'en-GB')

const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`
export const sameDay = (a: string, b: string) => dayKey(new Date(a)) === dayKey(new Date(b))

/** "14:05" today, "Mon" this week, "12 Mar" this year, "12/03/2024" before. */
export function listTime(iso: string, locale: Locale, now = new Date()): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  if (dayKey(d) === dayKey(now)) return d.toLocaleTimeString(tag(locale), { hour: '2-digit', minute: '2-digit' })
  const days = (now.getTime() - d.getTime()) / 86_400_000
  if (days < 6) return d.toLocaleDateString(tag(locale), { weekday: 'short' })
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(tag(locale), { day: 'numeric', month: 'short' })
  return d.toLocaleDateString(tag(locale), { day: '2-digit', month: '2-digit', year: 'numeric' })
}

export const clockTime = (iso: string, locale: Locale) => new Date(iso).toLocaleTimeString(tag(locale), { hour: '2-digit', minute: '2-digit' })

export const fullTime = (iso: string, locale: Locale) => new Date(iso).toLocaleString(tag(locale), { dateStyle: 'medium', timeStyle: 'short' })

/** The day separator's words: "Today", "Yesterday" or the date. */
export function dayLabel(iso: string, locale: Locale, words: { today: string; yesterday: string }, now = new Date()): string {
  const d = new Date(iso)
  if (dayKey(d) === dayKey(now)) return words.today
  const yesterday = new Date(now)
  yesterday.setDate(now.getDate() - 1)
  if (dayKey(d) === dayKey(yesterday)) return words.yesterday
  return d.toLocaleDateString(tag(locale), { weekday: 'long', day: 'numeric', month: 'long', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' })
}

export function fileSize(bytes: number | undefined): string {
  if (bytes === undefined) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** Initials for an avatar: "Sari Wulandari" → "SW", a phone → its last two digits. */
export function initials(name: string | null | undefined, phone: string): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean)
  if (!words.length) return phone.slice(-2)
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase()
}
