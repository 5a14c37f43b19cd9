// A small built-in emoji grid: the ones support chats use most. Escape or a pick closes it.
import { For, onMount } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'

const EMOJIS = [
  '😀', '😁', '😂', '🤣', '😊', '😍', '😘', '😉', '😎', '🤔', '😅', '😢',
  '😭', '😡', '😮', '🥳', '🙏', '👍', '👎', '👌', '👏', '🙌', '💪', '🤝',
  '❤️', '💚', '💙', '🔥', '✨', '🎉', '✅', '❌', '⚠️', '⏰', '📦', '🚚',
  '💳', '💰', '🛒', '🎁', '📞', '📍', '📷', '📄', '👋', '🌙', '☕', '🍽️',
]

export function EmojiPicker(props: { host: UiHost; onPick: (emoji: string) => void; onClose: () => void }) {
  let grid: HTMLDivElement | undefined
  onMount(() => grid?.querySelector<HTMLButtonElement>('button')?.focus())

  // Arrow keys move through the grid (as many per row as the layout shows); Escape closes.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault()
      e.stopPropagation()
      props.onClose()
      return
    }
    const buttons = [...(grid?.querySelectorAll<HTMLButtonElement>('button') ?? [])]
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement)
    const perRow = grid ? getComputedStyle(grid).gridTemplateColumns.split(' ').length : 12
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow }[e.key]
    if (step === undefined || at < 0) return
    e.preventDefault()
    buttons[Math.max(0, Math.min(buttons.length - 1, at + step))]?.focus()
  }

  return (
    <div
      class="inbox-popover inbox-emoji-picker"
      role="dialog"
      aria-label={props.host.t('inbox.composer.emoji')}
      ref={grid}
      onKeyDown={onKeyDown}
      onFocusOut={(e) => {
        const to = e.relatedTarget as HTMLElement | null
        // Focus left for something else (not the button that toggles the grid): close.
        if (!e.currentTarget.contains(to) && !to?.closest('[data-testid=emoji-button]')) props.onClose()
      }}
      data-testid="emoji-picker"
    >
      <For each={EMOJIS}>
        {(emoji) => (
          <button type="button" class="inbox-emoji" onClick={() => props.onPick(emoji)} aria-label={emoji}>
            {emoji}
          </button>
        )}
      </For>
    </div>
  )
}
