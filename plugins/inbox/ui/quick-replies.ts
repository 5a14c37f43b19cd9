// Quick replies for the composer: typing "/sal" at the start lists the matches (GET /quick-replies?q=),
// picking one renders its variables for this conversation (POST /quick-replies/:id/render).
import { createEffect, createSignal, on, onCleanup } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import type { Page, QuickReply } from './types.ts'

/** "/sal" (a slash, then no space yet) → "sal"; anything else is not a quick-reply search. */
export const quickReplyQuery = (text: string): string | null => (/^\/\S{0,40}$/.test(text) ? text.slice(1) : null)

export function createQuickReplies(host: UiHost, text: () => string, enabled: () => boolean) {
  const [items, setItems] = createSignal<QuickReply[]>([])
  const [highlight, setHighlight] = createSignal(0)
  const [loading, setLoading] = createSignal(false)
  // Escape hides the menu until the text changes.
  const [dismissed, setDismissed] = createSignal<string | null>(null)
  let generation = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  onCleanup(() => clearTimeout(timer))

  const query = () => (enabled() ? quickReplyQuery(text()) : null)
  const open = () => query() !== null && dismissed() !== text()

  createEffect(
    on(query, (q) => {
      clearTimeout(timer)
      if (q === null) {
        setItems([])
        return
      }
      const mine = ++generation
      setLoading(true)
      timer = setTimeout(async () => {
        try {
          const page = await host.api<Page<QuickReply>>('/api/inbox/quick-replies', { query: { q: q ? `/${q}` : undefined, limit: 8 } })
          if (mine !== generation) return
          setItems(page.items)
          setHighlight(0)
        } catch {
          if (mine === generation) setItems([])
        } finally {
          if (mine === generation) setLoading(false)
        }
      }, 120)
    }),
  )

  return {
    open,
    items,
    loading,
    highlight,
    move(delta: number) {
      const n = items().length
      if (n) setHighlight((i) => (i + delta + n) % n)
    },
    dismiss: () => setDismissed(text()),
    current: () => items()[highlight()],
    /** The text of a quick reply with this conversation's values filled in. */
    async render(reply: QuickReply, conversationId: string): Promise<{ text: string; missing: string[] }> {
      return host.api<{ text: string; missing: string[] }>(`/api/inbox/quick-replies/${reply.id}/render`, { method: 'POST', body: { conversationId } })
    },
  }
}
