import type { JSX } from 'solid-js'
import { location, navigate } from '../lib/router.ts'

/** An in-app link; marks itself aria-current="page" when it is where we are. */
export function Link(props: { href: string; class?: string; exact?: boolean; onNavigate?: () => void; children: JSX.Element; [data: `data-${string}`]: string }) {
  const active = () => {
    const p = location().path
    return props.exact || props.href === '/' ? p === props.href : p === props.href || p.startsWith(props.href + '/')
  }
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={active() ? 'page' : undefined}
      data-nav={props['data-nav']}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
        e.preventDefault()
        navigate(props.href)
        props.onNavigate?.()
      }}
    >
      {props.children}
    </a>
  )
}
