// Who is signed in (GET /api/me), signing in and out, switching workspace.
import { createMemo, createSignal } from 'solid-js'
import { api, ApiError, onUnauthorized, setCsrfToken } from './api.ts'
import { useWorkspaceLocale } from './i18n.ts'

export interface Me {
  user: { id: string; email: string; name: string } | null
  isOperator: boolean
  tenant: { id: string; name: string; slug: string; timezone: string; locale: string; status: string }
  role: { key: string; name: string; level: number; custom?: boolean }
  permissions: string[]
  tenants: { id: string; name: string; slug: string; status: string; role: string }[]
}

export type SessionStatus = 'loading' | 'signed-out' | 'ready' | 'error'

const [me, setMe] = createSignal<Me | null>(null)
const [status, setStatus] = createSignal<SessionStatus>('loading')
const [loadError, setLoadError] = createSignal<ApiError | null>(null)
/** Why the user was sent back to the login page (a session that ended), if so. */
const [signedOutReason, setSignedOutReason] = createSignal<string | null>(null)
export { me, status, loadError, signedOutReason }

const permissionSet = createMemo(() => new Set(me()?.permissions ?? []))
export const can = (permission: string) => permissionSet().has(permission)

const listeners = new Set<(reason: 'signed-in' | 'signed-out' | 'switched') => void>()
export function onSessionChange(fn: (reason: 'signed-in' | 'signed-out' | 'switched') => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
const emit = (reason: 'signed-in' | 'signed-out' | 'switched') => listeners.forEach((fn) => fn(reason))

function signedOut(reason: string | null) {
  setCsrfToken(null)
  setMe(null)
  setSignedOutReason(reason)
  setStatus('signed-out')
  emit('signed-out')
}

onUnauthorized((code) => {
  if (status() === 'ready') signedOut(code === 'csrf_token_invalid' ? 'csrf' : 'expired')
})

export async function loadMe(): Promise<void> {
  try {
    const data = await api<Me>('/api/me')
    setMe(data)
    useWorkspaceLocale(data.tenant.locale)
    setLoadError(null)
    setStatus('ready')
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setMe(null)
      setStatus('signed-out')
      return
    }
    setLoadError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)))
    setStatus('error')
  }
}

export async function login(email: string, password: string, tenant?: string): Promise<void> {
  const body: Record<string, string> = { email, password }
  if (tenant) body.tenant = tenant
  const res = await api<{ csrfToken: string }>('/api/auth/login', { method: 'POST', body })
  setCsrfToken(res.csrfToken)
  setSignedOutReason(null)
  await loadMe()
  emit('signed-in')
}

export async function logout(): Promise<void> {
  try {
    await api('/api/auth/logout', { method: 'POST', body: {} })
  } finally {
    signedOut(null)
  }
}

export async function switchTenant(tenantId: string): Promise<void> {
  await api('/api/auth/switch-tenant', { method: 'POST', body: { tenantId } })
  await loadMe()
  emit('switched')
}
