// A small history router: the current path as a signal, navigate(), and link interception.
import { createSignal } from 'solid-js'

export interface Location {
  path: string
  search: string
}

const read = (): Location => ({ path: window.location.pathname.replace(/\/+$/, '') || '/', search: window.location.search })
const [location, setLocation] = createSignal<Location>(read())
export { location }

window.addEventListener('popstate', () => setLocation(read()))

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.origin)
  if (url.origin !== window.location.origin) {
    window.location.assign(to)
    return
  }
  const target = url.pathname + url.search + url.hash
  if (target !== window.location.pathname + window.location.search + window.location.hash) {
    window.history[options.replace ? 'replaceState' : 'pushState'](null, '', target)
  }
  setLocation(read())
  if (!options.replace) window.scrollTo(0, 0)
}

export function searchParam(name: string): string | null {
  return new URLSearchParams(location().search).get(name)
}

/** Lets `<a href="/x">` inside the app navigate without a reload (plugins' plain links too). */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    const a = (e.target as Element | null)?.closest?.('a')
    if (!a || a.target || a.hasAttribute('download') || a.getAttribute('rel') === 'external') return
    const href = a.getAttribute('href')
    if (!href || !href.startsWith('/') || href.startsWith('//') || /^\/(api|docs|ui|assets|health|metrics)(\/|$)/.test(href)) return
    e.preventDefault()
    navigate(href)
  })
}
