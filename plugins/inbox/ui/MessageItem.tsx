// One thread item: a customer's message, our reply, a private note or a system line — with media,
// the message it answers, reactions and (ours) delivery ticks.
import { createSignal, For, Match, Show, Switch } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { clockTime, fileSize, fullTime } from './format.ts'
import { Icon } from './icons.tsx'
import { systemText } from './system-text.ts'
import { Ticks } from './Ticks.tsx'
import type { Item, Media } from './types.ts'

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '🙏', '✅']

const mediaUrl = (m: Media) => m.url ?? `/api/whatsapp/media/${m.id}`

function MediaBlock(props: { host: UiHost; item: Item }) {
  const m = () => props.item.media!
  const t = props.host.t
  return (
    <Switch
      fallback={
        <a class="inbox-document" href={mediaUrl(m())} target="_blank" rel="noopener" data-testid="message-document">
          <Icon name="file" />
          <span class="inbox-document-name">{m().filename || t('inbox.type.document')}</span>
          <span class="muted small">{fileSize(m().size)}</span>
        </a>
      }
    >
      <Match when={props.item.type === 'image' || props.item.type === 'sticker'}>
        <a href={mediaUrl(m())} target="_blank" rel="noopener" class="inbox-image-link">
          <img class="inbox-image" classList={{ 'is-sticker': props.item.type === 'sticker' }} src={mediaUrl(m())} alt={props.item.text || m().filename || t('inbox.type.image')} loading="lazy" />
        </a>
      </Match>
      <Match when={props.item.type === 'video'}>
        <video class="inbox-video" src={mediaUrl(m())} controls preload="metadata" />
      </Match>
      <Match when={props.item.type === 'audio'}>
        <audio class="inbox-audio" src={mediaUrl(m())} controls preload="metadata" />
      </Match>
    </Switch>
  )
}

export function MessageItem(props: {
  host: UiHost
  item: Item
  authorName: (id: string | null) => string | null
  /** A user's name as others call them (system lines), or null when not known. */
  personName: (id: string) => string | null
  canReply: boolean
  onReply: (item: Item) => void
  onReact: (item: Item, emoji: string) => void
}) {
  const t = props.host.t
  const i = () => props.item
  const [reacting, setReacting] = createSignal(false)
  const replyable = () => props.canReply && (i().kind === 'inbound' || i().kind === 'outbound') && Boolean(i().whatsappMessageId)

  return (
    <Show
      when={i().kind !== 'system'}
      fallback={
        <li class="inbox-system" data-testid="message" data-kind="system" data-item={i().id}>
          <span>{systemText(props.host, i(), props.personName)}</span> <time class="muted" dateTime={i().createdAt}>{clockTime(i().createdAt, props.host.locale())}</time>
        </li>
      }
    >
      <li class={`inbox-message inbox-message-${i().kind}`} data-testid="message" data-kind={i().kind} data-item={i().id}>
        <div class="inbox-bubble">
          <Show when={i().kind === 'note'}>
            <p class="inbox-note-tag">
              <Icon name="lock" size={12} /> {t('inbox.note.tag')}
              <Show when={props.authorName(i().authorId)}> · {props.authorName(i().authorId)}</Show>
            </p>
          </Show>
          <Show when={i().kind === 'outbound' && props.authorName(i().authorId)}>
            <p class="inbox-author">{props.authorName(i().authorId)}</p>
          </Show>
          <Show when={i().replyTo}>
            <blockquote class="inbox-quote" data-testid="message-quote">
              {i().replyTo!.text || (i().replyTo!.type ? t(`inbox.type.${i().replyTo!.type}`) : t('inbox.message.quoted'))}
            </blockquote>
          </Show>
          <Show when={i().media}>
            <MediaBlock host={props.host} item={i()} />
          </Show>
          <Show when={i().location}>
            <a class="inbox-document" href={`https://www.openstreetmap.org/?mlat=${i().location!.latitude}&mlon=${i().location!.longitude}#map=16/${i().location!.latitude}/${i().location!.longitude}`} target="_blank" rel="noopener">
              <Icon name="pin" />
              <span>{i().location!.name || i().location!.address || `${i().location!.latitude}, ${i().location!.longitude}`}</span>
            </a>
          </Show>
          <Show when={i().type === 'reaction'}>
            <p class="inbox-text muted">{t('inbox.message.reacted', { emoji: i().text ?? '' })}</p>
          </Show>
          <Show when={i().text && i().type !== 'reaction'}>
            <p class="inbox-text" data-testid="message-text">
              {i().text}
            </p>
          </Show>
          <Show when={!i().text && !i().media && !i().location && i().type !== 'reaction'}>
            <p class="inbox-text muted">{t(`inbox.type.${i().type}`)}</p>
          </Show>
          <p class="inbox-meta">
            <time dateTime={i().createdAt} title={fullTime(i().createdAt, props.host.locale())}>
              {clockTime(i().createdAt, props.host.locale())}
            </time>
            <Show when={i().kind === 'outbound'}>
              <Ticks host={props.host} status={i().status} error={i().error} />
            </Show>
          </p>
        </div>
        <Show when={i().reactions.length}>
          <ul class="inbox-reactions" aria-label={t('inbox.message.reactions')}>
            <For each={i().reactions}>
              {(r) => (
                <li title={r.by === 'customer' ? t('inbox.message.byCustomer') : (props.authorName(r.userId ?? null) ?? t('inbox.message.byAgent'))}>{r.emoji}</li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={replyable()}>
          <div class="inbox-message-actions" onFocusOut={(e) => !e.currentTarget.contains(e.relatedTarget as Node | null) && setReacting(false)}>
            <button type="button" class="btn btn-icon btn-small" aria-label={t('inbox.message.reply')} title={t('inbox.message.reply')} onClick={() => props.onReply(i())}>
              <Icon name="reply" size={16} />
            </button>
            <button type="button" class="btn btn-icon btn-small" aria-label={t('inbox.message.react')} title={t('inbox.message.react')} aria-expanded={reacting()} onClick={() => setReacting((v) => !v)}>
              <Icon name="smile" size={16} />
            </button>
            <Show when={reacting()}>
              <div class="inbox-reaction-picker" role="group" aria-label={t('inbox.message.react')} onKeyDown={(e) => e.key === 'Escape' && setReacting(false)}>
                <For each={QUICK_REACTIONS}>
                  {(emoji) => (
                    <button
                      type="button"
                      class="btn btn-icon btn-small"
                      onClick={() => {
                        setReacting(false)
                        props.onReact(i(), emoji)
                      }}
                    >
                      {emoji}
                    </button>
                  )}
                </For>
              </div>
            </Show>
          </div>
        </Show>
      </li>
    </Show>
  )
}
