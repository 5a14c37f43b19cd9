// Light and dark themes: the system's preference until the user picks one (remembered).
import { createSignal } from 'solid-js'

export type Theme = 'light' | 'dark'
const KEY = 'sapa.theme'
const media = window.matchMedia('(prefers-color-scheme: dark)')
const stored = (): Theme | null => {
  const v = localStorage.getItem(KEY)
  return v === 'light' || v === 'dark' ? v : null
}
const [theme, setThemeSignal] = createSignal<Theme>(stored() ?? (media.matches ? 'dark' : 'light'))
export { theme }

function apply(t: Theme) {
  document.documentElement.dataset.theme = t
}
apply(theme())
media.addEventListener('change', (e) => {
  if (stored()) return
  setThemeSignal(e.matches ? 'dark' : 'light')
  apply(theme())
})

export function setTheme(t: Theme): void {
  localStorage.setItem(KEY, t)
  setThemeSignal(t)
  apply(t)
}

export const toggleTheme = () => setTheme(theme() === 'dark' ? 'light' : 'dark')
