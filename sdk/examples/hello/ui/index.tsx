import { createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { defineUi, type PageProps, type SlotProps } from '@sapa/sdk/ui'

interface Pings {
  greeting: string
  items: { id: string; by: string | null; greeted: boolean; at: string }[]
}

function HelloPage(props: PageProps) {
  const [pings, { refetch }] = createResource(() => props.host.api<Pings>('/api/hello/pings'))
  const [busy, setBusy] = createSignal(false)
  const off = props.host.subscribe('hello', () => void refetch())
  onCleanup(off)
  const ping = async () => {
    setBusy(true)
    try {
      await props.host.api('/api/hello/pings', { method: 'POST', body: {} })
      props.host.toast(props.host.t('hello.pinged'), 'success')
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="page">
      <h1>{pings()?.greeting ?? '…'}!</h1>
      <button type="button" class="button primary" disabled={busy()} onClick={ping}>
        {props.host.t('hello.ping')}
      </button>
      <Show when={pings()} fallback={<p class="muted">{props.host.t('hello.loading')}</p>}>
        <Show when={pings()!.items.length} fallback={<p class="muted">{props.host.t('hello.empty')}</p>}>
          <ul class="list" data-testid="hello-pings">
            <For each={pings()!.items}>{(p) => <li>{p.by ?? 'API'} · {new Date(p.at).toLocaleTimeString()} {p.greeted ? '✓' : ''}</li>}</For>
          </ul>
        </Show>
      </Show>
    </section>
  )
}

function HelloSettings(props: SlotProps) {
  return <p class="muted">{props.host.t('hello.settingsHint')}</p>
}

export default defineUi({
  pages: { hello: HelloPage },
  slots: { 'hello-settings': HelloSettings },
  messages: {
    en: { 'hello.ping': 'Ping', 'hello.pinged': 'Pinged', 'hello.loading': 'Loading…', 'hello.empty': 'No pings yet', 'hello.settingsHint': 'The hello module has a greeting setting.' },
    id: { 'hello.ping': 'Ping', 'hello.pinged': 'Terkirim', 'hello.loading': 'Memuat…', 'hello.empty': 'Belum ada ping', 'hello.settingsHint': 'Modul hello punya pengaturan sapaan.' },
  },
})
