// @sapa/sdk/ui — what a plugin's web module exports. Built as its own ES module with solid-js
// external; the shell provides the one Solid runtime through an import map.
import type { JSX } from 'solid-js'

/** Where fragments can attach in the shell and in other plugins' pages. */
export type SlotName =
  | 'settings.sections'
  | 'inbox.conversation.sidebar'
  | 'inbox.composer.actions'
  | 'contacts.detail.tabs'
  | 'dashboard.widgets'
  | (string & {})

/** What the shell hands every page and fragment. */
export interface UiHost {
  /** The caller's permissions: render only what they may use (the API refuses the rest anyway). */
  can(permission: string): boolean
  /** `fetch` for `/api/...` with the session cookie, CSRF header and JSON (a `FormData` body goes as multipart); throws ApiError on 4xx/5xx. */
  api<T = unknown>(path: string, init?: { method?: string; body?: unknown; query?: Record<string, string | number | boolean | undefined> }): Promise<T>
  /**
   * Subscribe to a realtime topic; returns unsubscribe (and a page's subscriptions end with it).
   * After the connection dropped and came back, the handler gets the event `'$resubscribed'`
   * (data null): events may have been missed meanwhile, so reload what the page shows.
   */
  subscribe(topic: string, handler: (event: string, data: unknown) => void): () => void
  /** Translate with the shell's current locale ('en' | 'id'); `dict` overrides for this plugin. */
  t(key: string, vars?: Record<string, string | number>): string
  readonly locale: () => 'en' | 'id'
  toast(message: string, kind?: 'info' | 'success' | 'error'): void
  navigate(path: string): void
  readonly tenant: () => { id: string; name: string; slug: string; timezone: string }
  readonly user: () => { id: string; name: string; email: string } | null
  /**
   * Renders every fragment that enabled plugins attach to `name` (each in its own error boundary),
   * e.g. an inbox page offering `inbox.conversation.sidebar` with `{ conversationId }`.
   */
  Slot(props: { name: SlotName; context?: Record<string, unknown> }): JSX.Element
}

/** What `host.api` throws: the API's `{error:{code,message,details}}`, or status 0 / `network_error`. */
export interface ApiError extends Error {
  readonly name: 'ApiError'
  readonly status: number
  readonly code: string
  readonly details?: unknown
}

/** Recognises the shell's ApiError (an `instanceof` would not work across separately built modules). */
export function isApiError(err: unknown): err is ApiError {
  return err instanceof Error && err.name === 'ApiError' && typeof (err as { code?: unknown }).code === 'string'
}

/**
 * What to tell the user about a failed call: the plugin's own wording for the error's code when its
 * dictionary has `<prefix>.error.<code>` (the error's details fill its variables), else the server's
 * message (already specific); for anything but an API error, the `otherwise` key.
 */
export function errorText(host: UiHost, err: unknown, prefix: string, otherwise = `${prefix}.error.unknown`): string {
  if (!isApiError(err)) return host.t(otherwise)
  const key = `${prefix}.error.${err.code}`
  const details = err.details && typeof err.details === 'object' && !Array.isArray(err.details) ? (err.details as Record<string, string | number>) : undefined
  const text = host.t(key, details)
  return text !== key ? text : err.message
}

export interface PageProps {
  host: UiHost
  /**
   * Path segments after the page's own path: for `/inbox/c1/info` on a page at `/inbox`,
   * `{ path: 'c1/info', '0': 'c1', '1': 'info' }` (`path` is '' on the page itself).
   */
  params: Record<string, string>
}

export interface SlotProps {
  host: UiHost
  /** What the slot's owner passes (e.g. `{ conversationId }` for inbox.conversation.sidebar). */
  context: Record<string, unknown>
}

export interface PluginUi {
  /** Keyed by the nav item ids declared in the plugin manifest's `ui.nav`. */
  pages?: Record<string, (props: PageProps) => JSX.Element>
  /** Keyed by the fragment ids declared in the plugin manifest's `ui.slots`. */
  slots?: Record<string, (props: SlotProps) => JSX.Element>
  /** Strings for `host.t`, per locale. */
  messages?: { en?: Record<string, string>; id?: Record<string, string> }
}

/** Types a plugin's UI module; `export default defineUi({...})`. */
export function defineUi(ui: PluginUi): PluginUi {
  return ui
}
