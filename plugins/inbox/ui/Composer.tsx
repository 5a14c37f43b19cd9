// The composer: a reply to the customer or a private note. Enter sends, Shift+Enter is a new line;
// "/" at the start offers quick replies; an emoji grid; an attachment with a preview before sending.
// Without inbox.conversation.reply there is no send button, only the reason.
import { createSignal, For, onCleanup, Show } from 'solid-js'
import { errorText, type UiHost } from '@sapa/sdk/ui'
import { EmojiPicker } from './EmojiPicker.tsx'
import { fileSize } from './format.ts'
import { Icon } from './icons.tsx'
import { createQuickReplies } from './quick-replies.ts'
import type { Item } from './types.ts'
import { kindOf, uploadMedia } from './upload.ts'

interface Attachment {
  file: File
  kind: ReturnType<typeof kindOf>
  preview: string | null
}

const errorMessage = (host: UiHost, err: unknown) => errorText(host, err, 'inbox', 'inbox.error.send')

export function Composer(props: {
  host: UiHost
  conversationId: string
  replyTo: Item | null
  clearReplyTo: () => void
  onSent: (item: Item) => void
}) {
  const host = props.host
  const t = host.t
  const canReply = () => host.can('inbox.conversation.reply')
  const canNote = () => host.can('inbox.conversation.note')
  const canAttach = () => canReply() && host.can('whatsapp.message.send')
  const [mode, setMode] = createSignal<'reply' | 'note'>(canReply() ? 'reply' : 'note')
  const [text, setText] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [emojiOpen, setEmojiOpen] = createSignal(false)
  const [attachment, setAttachment] = createSignal<Attachment | null>(null)
  const [missing, setMissing] = createSignal<string[]>([])
  let input: HTMLTextAreaElement | undefined
  let fileInput: HTMLInputElement | undefined
  let emojiButton: HTMLButtonElement | undefined

  const quick = createQuickReplies(host, text, () => mode() === 'reply' && canReply())

  const dropAttachment = () => {
    const a = attachment()
    if (a?.preview) URL.revokeObjectURL(a.preview)
    setAttachment(null)
    if (fileInput) fileInput.value = ''
  }
  onCleanup(dropAttachment)

  const grow = () => {
    if (!input) return
    input.style.height = 'auto'
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`
  }
  const setValue = (value: string) => {
    setText(value)
    if (input) input.value = value
    queueMicrotask(grow)
  }

  const insertAtCaret = (value: string) => {
    if (!input) return setValue(text() + value)
    const start = input.selectionStart ?? text().length
    const end = input.selectionEnd ?? start
    const next = text().slice(0, start) + value + text().slice(end)
    setValue(next)
    input.focus()
    const caret = start + value.length
    queueMicrotask(() => input?.setSelectionRange(caret, caret))
  }

  async function pickQuickReply() {
    const reply = quick.current()
    if (!reply) return
    quick.dismiss()
    try {
      const rendered = await quick.render(reply, props.conversationId)
      setValue(rendered.text)
      setMissing(rendered.missing ?? [])
      input?.focus()
    } catch (err) {
      host.toast(errorMessage(host, err), 'error')
    }
  }

  async function send() {
    const body = text().trim()
    const file = mode() === 'reply' ? attachment() : null
    if (busy() || (!body && !file)) return
    setBusy(true)
    // Text goes at once, as in any chat: the box is cleared now and refilled if the send fails
    // (unless something new was typed meanwhile). An attachment stays until it is sent.
    const optimistic = !file
    if (optimistic) setValue('')
    try {
      let item: Item
      if (mode() === 'note') {
        item = await host.api<Item>(`/api/inbox/conversations/${props.conversationId}/notes`, { method: 'POST', body: { text: body } })
      } else if (file) {
        const media = await uploadMedia(host, file.file, file.kind)
        item = await host.api<Item>(`/api/inbox/conversations/${props.conversationId}/messages`, {
          method: 'POST',
          body: { type: file.kind, mediaId: media.id, text: body || undefined, replyTo: props.replyTo?.id, idempotencyKey: crypto.randomUUID() },
        })
      } else {
        item = await host.api<Item>(`/api/inbox/conversations/${props.conversationId}/messages`, {
          method: 'POST',
          body: { type: 'text', text: body, replyTo: props.replyTo?.id, idempotencyKey: crypto.randomUUID() },
        })
      }
      props.onSent(item)
      setValue('')
      setMissing([])
      dropAttachment()
      props.clearReplyTo()
    } catch (err) {
      if (optimistic && !text()) setValue(body)
      host.toast(errorMessage(host, err), 'error')
    } finally {
      setBusy(false)
      input?.focus()
    }
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.isComposing) return
    if (quick.open() && quick.items().length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        quick.move(e.key === 'ArrowDown' ? 1 : -1)
        return
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault()
        void pickQuickReply()
        return
      }
    }
    if (e.key === 'Escape' && quick.open()) {
      e.preventDefault()
      quick.dismiss()
      return
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      void send()
    }
  }

  const onFile = (e: Event & { currentTarget: HTMLInputElement }) => {
    const file = e.currentTarget.files?.[0]
    if (!file) return
    dropAttachment()
    const kind = kindOf(file)
    setAttachment({ file, kind, preview: kind === 'image' ? URL.createObjectURL(file) : null })
    input?.focus()
  }

  return (
    <Show
      when={canReply() || canNote()}
      fallback={
        <p class="note note-info inbox-composer-disabled" data-testid="composer-disabled">
          {t('inbox.composer.noPermission')}
        </p>
      }
    >
      <form
        class="inbox-composer"
        classList={{ 'is-note': mode() === 'note' }}
        data-testid="composer"
        onSubmit={(e) => {
          e.preventDefault()
          void send()
        }}
      >
        <Show when={!canReply()}>
          <p class="inbox-composer-hint small" data-testid="composer-reply-disabled">
            {t('inbox.composer.notesOnly')}
          </p>
        </Show>
        <div class="inbox-composer-top">
          <Show when={canReply() && canNote()}>
            <div class="segmented inbox-mode" role="group" aria-label={t('inbox.composer.mode')}>
              <button type="button" aria-pressed={mode() === 'reply'} data-testid="mode-reply" onClick={() => setMode('reply')}>
                {t('inbox.composer.reply')}
              </button>
              <button type="button" aria-pressed={mode() === 'note'} data-testid="mode-note" onClick={() => setMode('note')}>
                {t('inbox.composer.note')}
              </button>
            </div>
          </Show>
          <Show when={props.replyTo && mode() === 'reply'}>
            <div class="inbox-replying" data-testid="replying-to">
              <span class="muted small">{t('inbox.composer.replyingTo')}</span> <span class="inbox-replying-text">{props.replyTo!.text || t(`inbox.type.${props.replyTo!.type}`)}</span>
              <button type="button" class="btn btn-icon btn-small" aria-label={t('inbox.composer.cancelReply')} onClick={() => props.clearReplyTo()}>
                <Icon name="close" size={16} />
              </button>
            </div>
          </Show>
        </div>

        <Show when={attachment() && mode() === 'reply'}>
          <div class="inbox-attachment" data-testid="attachment-preview">
            <Show when={attachment()!.preview} fallback={<span class="inbox-attachment-icon"><Icon name="file" size={28} /></span>}>
              <img src={attachment()!.preview!} alt="" />
            </Show>
            <span class="inbox-attachment-name">
              {attachment()!.file.name} <span class="muted small">{fileSize(attachment()!.file.size)}</span>
            </span>
            <button type="button" class="btn btn-icon btn-small" aria-label={t('inbox.composer.removeAttachment')} onClick={dropAttachment}>
              <Icon name="close" size={16} />
            </button>
          </div>
        </Show>

        <Show when={quick.open() && (quick.items().length || !quick.loading())}>
          <ul class="inbox-popover inbox-quick-replies" role="listbox" id="inbox-quick-replies" aria-label={t('inbox.composer.quickReplies')} data-testid="quick-replies">
            <Show when={quick.items().length} fallback={<li class="muted small inbox-quick-empty">{t('inbox.composer.noQuickReplies')}</li>}>
              <For each={quick.items()}>
                {(reply, index) => (
                  <li
                    role="option"
                    id={`inbox-qr-${reply.id}`}
                    aria-selected={index() === quick.highlight()}
                    class="inbox-quick-reply"
                    data-testid="quick-reply"
                    onMouseDown={(e) => {
                      e.preventDefault() // keep the focus in the text box
                      quick.move(index() - quick.highlight())
                      void pickQuickReply()
                    }}
                  >
                    <span class="inbox-quick-shortcut">/{reply.shortcut}</span> <strong>{reply.title}</strong>
                    <span class="inbox-quick-text muted small">{reply.text}</span>
                  </li>
                )}
              </For>
            </Show>
          </ul>
        </Show>

        <Show when={emojiOpen()}>
          <EmojiPicker
            host={host}
            onPick={(emoji) => {
              setEmojiOpen(false)
              insertAtCaret(emoji)
            }}
            onClose={() => {
              setEmojiOpen(false)
              emojiButton?.focus()
            }}
          />
        </Show>

        <label class="sr-only" for={`inbox-composer-${props.conversationId}`}>
          {mode() === 'note' ? t('inbox.composer.notePlaceholder') : t('inbox.composer.placeholder')}
        </label>
        <textarea
          id={`inbox-composer-${props.conversationId}`}
          ref={input}
          rows="2"
          class="inbox-composer-input"
          data-testid="composer-input"
          placeholder={mode() === 'note' ? t('inbox.composer.notePlaceholder') : t('inbox.composer.placeholder')}
          aria-controls={quick.open() ? 'inbox-quick-replies' : undefined}
          aria-activedescendant={quick.open() && quick.current() ? `inbox-qr-${quick.current()!.id}` : undefined}
          onInput={(e) => {
            setText(e.currentTarget.value)
            grow()
          }}
          onKeyDown={onKeyDown}
          readOnly={busy()}
        />
        <div class="inbox-composer-row">
          <button type="button" ref={emojiButton} class="btn btn-icon btn-small" aria-label={t('inbox.composer.emoji')} title={t('inbox.composer.emoji')} aria-expanded={emojiOpen()} data-testid="emoji-button" onClick={() => setEmojiOpen((v) => !v)}>
            <Icon name="smile" />
          </button>
          <Show when={canAttach() && mode() === 'reply'}>
            <button type="button" class="btn btn-icon btn-small" aria-label={t('inbox.composer.attach')} title={t('inbox.composer.attach')} onClick={() => fileInput?.click()}>
              <Icon name="clip" />
            </button>
            <input ref={fileInput} type="file" class="sr-only" tabindex="-1" aria-hidden="true" data-testid="attach-input" onChange={onFile} />
          </Show>
          <span class="inbox-composer-keys muted small">{t('inbox.composer.keys')}</span>
          <button type="submit" class="btn btn-primary btn-small inbox-send" data-testid="composer-send" disabled={busy() || (!text().trim() && !attachment())}>
            <Show when={mode() === 'reply'} fallback={t('inbox.composer.addNote')}>
              <Icon name="send" size={16} />
              {t('inbox.composer.send')}
            </Show>
          </button>
        </div>
        <Show when={missing().length}>
          <p class="inbox-composer-hint small" data-testid="quick-reply-missing">
            {t('inbox.composer.missing', { list: missing().join(', ') })}
          </p>
        </Show>
      </form>
    </Show>
  )
}
