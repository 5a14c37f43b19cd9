// The sandbox simulator: a customer writes to this number (POST /api/whatsapp/sandbox/:id/inbound)
// and the log shows each message until the pipeline has stored it (the realtime message.received).
import { createSignal, For, Match, Show, Switch } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { errorText, fieldErrors } from './errors.ts'
import type { WaMessage, WaNumber } from './types.ts'

const TYPES = ['text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'reaction', 'contacts'] as const
type SimType = (typeof TYPES)[number]
const MEDIA_TYPES: SimType[] = ['image', 'document', 'audio', 'video', 'sticker']
const CAPTIONED: SimType[] = ['image', 'document', 'video']
// The API takes 16 MB of base64, about 12 MB of file.
const MAX_FILE_BYTES = 12 * 1024 * 1024

interface Sent {
  key: number
  at: Date
  from: string
  type: SimType
  summary: string
  providerId: string | null
}

function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}

export function Simulator(props: { host: UiHost; number: WaNumber; disabled?: boolean }) {
  const t = props.host.t
  const id = (name: string) => `wa-sim-${props.number.id}-${name}`
  const [from, setFrom] = createSignal('')
  const [name, setName] = createSignal('')
  const [type, setType] = createSignal<SimType>('text')
  const [text, setText] = createSignal('')
  const [file, setFile] = createSignal<File | null>(null)
  const [caption, setCaption] = createSignal('')
  const [lat, setLat] = createSignal('')
  const [lng, setLng] = createSignal('')
  const [place, setPlace] = createSignal('')
  const [target, setTarget] = createSignal('')
  const [emoji, setEmoji] = createSignal('👍')
  const [vcard, setVcard] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [fields, setFields] = createSignal<Record<string, string>>({})
  const [log, setLog] = createSignal<Sent[]>([])
  const [stored, setStored] = createSignal<Set<string>>(new Set())
  let fileInput: HTMLInputElement | undefined
  let seq = 0

  // The stored message may be announced before the 202 reaches us: remember every id seen.
  props.host.subscribe(`session:${props.number.id}`, (event, data) => {
    const m = data as WaMessage
    if (event === 'message.received' && m?.providerId) setStored((s) => new Set(s).add(m.providerId!))
  })

  const summary = (): string => {
    switch (type()) {
      case 'text':
        return text().trim()
      case 'location':
        return `${lat()}, ${lng()}${place() ? ` · ${place()}` : ''}`
      case 'reaction':
        return `${emoji() || t('whatsapp.sim.reactionRemoved')} → ${target()}`
      case 'contacts':
        return /FN:(.*)/.exec(vcard())?.[1]?.trim() || 'vCard'
      default:
        return file()?.name ?? ''
    }
  }

  async function body(): Promise<Record<string, unknown> | null> {
    const b: Record<string, unknown> = { from: from().trim(), type: type() }
    if (name().trim()) b.name = name().trim()
    const kind = type()
    if (kind === 'text') b.text = text()
    if (MEDIA_TYPES.includes(kind)) {
      const f = file()
      if (!f) return setError(t('whatsapp.sim.fileRequired')), null
      if (f.size > MAX_FILE_BYTES) return setError(t('whatsapp.sim.fileTooLarge', { mb: 12 })), null
      b.media = { data: await fileToBase64(f), filename: f.name, ...(CAPTIONED.includes(kind) && caption().trim() ? { caption: caption().trim() } : {}) }
    }
    if (kind === 'location') {
      const latitude = Number(lat())
      const longitude = Number(lng())
      if (lat().trim() === '' || lng().trim() === '' || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return setError(t('whatsapp.sim.locationRequired')), null
      b.location = { latitude, longitude, ...(place().trim() ? { name: place().trim() } : {}) }
    }
    if (kind === 'reaction') b.reaction = { providerId: target().trim(), emoji: emoji() }
    if (kind === 'contacts') b.contacts = [vcard()]
    return b
  }

  const send = async (e: SubmitEvent) => {
    e.preventDefault()
    setError(null)
    setFields({})
    setBusy(true)
    const key = ++seq
    try {
      const payload = await body()
      if (!payload) return
      const entry: Sent = { key, at: new Date(), from: String(payload.from), type: type(), summary: summary(), providerId: null }
      try {
        const res = await props.host.api<{ providerId: string; delivered: boolean }>(`/api/whatsapp/sandbox/${props.number.id}/inbound`, { method: 'POST', body: payload })
        setLog((l) => [{ ...entry, providerId: res.providerId }, ...l].slice(0, 20))
        // Ready for the next message from the same customer.
        setText('')
        setCaption('')
        setFile(null)
        if (fileInput) fileInput.value = ''
      } catch (err) {
        setError(errorText(props.host, err))
        setFields(fieldErrors(err))
      }
    } finally {
      setBusy(false)
    }
  }

  const fieldError = (field: string) => fields()[field]
  const invalid = (field: string) => (fieldError(field) ? 'true' : undefined)

  return (
    <section class="wa-sim" aria-labelledby={id('title')} data-testid="wa-simulator">
      <h3 id={id('title')}>{t('whatsapp.sim.title')}</h3>
      <p class="muted small">{t('whatsapp.sim.intro')}</p>
      <form class="wa-sim-form" onSubmit={(e) => void send(e)}>
        <div class="wa-grid">
          <div class="field">
            <label for={id('from')}>{t('whatsapp.sim.from')}</label>
            <input id={id('from')} name="from" type="tel" inputMode="tel" required maxLength={40} placeholder="0812 3456 7890" value={from()} aria-invalid={invalid('from')} onInput={(e) => setFrom(e.currentTarget.value)} />
            <Show when={fieldError('from')}>
              <span class="field-error">{t('whatsapp.sim.fromInvalid')}</span>
            </Show>
          </div>
          <div class="field">
            <label for={id('name')}>{t('whatsapp.sim.name')}</label>
            <input id={id('name')} name="name" type="text" maxLength={120} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for={id('type')}>{t('whatsapp.sim.type')}</label>
            <select id={id('type')} name="type" value={type()} onChange={(e) => setType(e.currentTarget.value as SimType)}>
              <For each={[...TYPES]}>{(k) => <option value={k}>{t(`whatsapp.type.${k}`)}</option>}</For>
            </select>
          </div>
        </div>
        <Switch>
          <Match when={type() === 'text'}>
            <div class="field">
              <label for={id('text')}>{t('whatsapp.sim.text')}</label>
              <textarea id={id('text')} name="text" rows={3} required maxLength={65536} value={text()} onInput={(e) => setText(e.currentTarget.value)} />
            </div>
          </Match>
          <Match when={MEDIA_TYPES.includes(type())}>
            <div class="wa-grid">
              <div class="field">
                <label for={id('file')}>{t('whatsapp.sim.file')}</label>
                <input ref={fileInput} id={id('file')} name="file" type="file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
              </div>
              <Show when={CAPTIONED.includes(type())}>
                <div class="field">
                  <label for={id('caption')}>{t('whatsapp.sim.caption')}</label>
                  <input id={id('caption')} name="caption" type="text" maxLength={1024} value={caption()} onInput={(e) => setCaption(e.currentTarget.value)} />
                </div>
              </Show>
            </div>
          </Match>
          <Match when={type() === 'location'}>
            <div class="wa-grid">
              <div class="field">
                <label for={id('lat')}>{t('whatsapp.sim.latitude')}</label>
                <input id={id('lat')} name="latitude" type="number" step="any" min={-90} max={90} required placeholder="-6.2088" value={lat()} onInput={(e) => setLat(e.currentTarget.value)} />
              </div>
              <div class="field">
                <label for={id('lng')}>{t('whatsapp.sim.longitude')}</label>
                <input id={id('lng')} name="longitude" type="number" step="any" min={-180} max={180} required placeholder="106.8456" value={lng()} onInput={(e) => setLng(e.currentTarget.value)} />
              </div>
              <div class="field">
                <label for={id('place')}>{t('whatsapp.sim.place')}</label>
                <input id={id('place')} name="place" type="text" maxLength={256} value={place()} onInput={(e) => setPlace(e.currentTarget.value)} />
              </div>
            </div>
          </Match>
          <Match when={type() === 'reaction'}>
            <div class="wa-grid">
              <div class="field">
                <label for={id('target')}>{t('whatsapp.sim.target')}</label>
                <input id={id('target')} name="target" type="text" required maxLength={128} list={id('targets')} value={target()} onInput={(e) => setTarget(e.currentTarget.value)} aria-describedby={id('target-hint')} />
                <datalist id={id('targets')}>
                  <For each={log().filter((s) => s.providerId)}>{(s) => <option value={s.providerId!}>{s.summary}</option>}</For>
                </datalist>
                <span class="muted small" id={id('target-hint')}>
                  {t('whatsapp.sim.targetHint')}
                </span>
              </div>
              <div class="field">
                <label for={id('emoji')}>{t('whatsapp.sim.emoji')}</label>
                <input id={id('emoji')} name="emoji" type="text" maxLength={16} value={emoji()} onInput={(e) => setEmoji(e.currentTarget.value)} />
              </div>
            </div>
          </Match>
          <Match when={type() === 'contacts'}>
            <div class="field">
              <label for={id('vcard')}>{t('whatsapp.sim.vcard')}</label>
              <textarea id={id('vcard')} name="vcard" rows={4} required maxLength={10000} class="mono" placeholder={'BEGIN:VCARD\nVERSION:3.0\nFN:Siti\nTEL:+6281234567890\nEND:VCARD'} value={vcard()} onInput={(e) => setVcard(e.currentTarget.value)} />
            </div>
          </Match>
        </Switch>
        <Show when={error()}>
          <p class="field-error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="wa-actions">
          <button type="submit" class="btn btn-primary" disabled={busy() || props.disabled} data-testid="wa-sim-send">
            {busy() ? t('whatsapp.sim.sending') : t('whatsapp.sim.send')}
          </button>
        </div>
      </form>
      <Show when={log().length}>
        <h4 class="wa-sim-log-title">{t('whatsapp.sim.log')}</h4>
        <ol class="list wa-sim-log" aria-live="polite" data-testid="wa-sim-log">
          <For each={log()}>
            {(s) => {
              const isStored = () => Boolean(s.providerId && stored().has(s.providerId))
              return (
                <li data-sim-entry={s.providerId ?? ''} data-stored={isStored() ? 'true' : 'false'}>
                  <div class="wa-sim-entry">
                    <span class="badge">{t(`whatsapp.type.${s.type}`)}</span>
                    <span class="wa-sim-summary">{s.summary}</span>
                    <span class={`badge ${isStored() ? 'badge-ok' : 'badge-off'}`}>{isStored() ? t('whatsapp.sim.stored') : t('whatsapp.sim.accepted')}</span>
                  </div>
                  <div class="muted small">
                    {s.from} · {s.at.toLocaleTimeString(props.host.locale() === 'id' ? 'id-ID' : 'en-GB')} · <span class="mono">{s.providerId}</span>
                  </div>
                </li>
              )
            }}
          </For>
        </ol>
      </Show>
    </section>
  )
}
