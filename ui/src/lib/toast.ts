import { createSignal } from 'solid-js'

export type ToastKind = 'info' | 'success' | 'error'
export interface Toast {
  id: number
  message: string
  kind: ToastKind
}

const [toasts, setToasts] = createSignal<Toast[]>([])
export { toasts }
let next = 1

export function dismiss(id: number): void {
  setToasts((all) => all.filter((t) => t.id !== id))
}

export function toast(message: string, kind: ToastKind = 'info'): void {
  const id = next++
  setToasts((all) => [...all.slice(-4), { id, message, kind }])
  setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000)
}
