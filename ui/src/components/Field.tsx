import { Show, type JSX } from 'solid-js'

/** A labelled form control with its hint and error, wired up with aria-describedby. */
export function Field(props: { label: string; id: string; hint?: string; error?: string | null; children: JSX.Element }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      <Show when={props.hint}>
        <small class="muted" id={`${props.id}-hint`}>
          {props.hint}
        </small>
      </Show>
      <Show when={props.error}>
        <small class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </small>
      </Show>
    </div>
  )
}

/** The field a 400 names (`details.field`, or the first validation detail). */
export function errorField(err: unknown): string | null {
  const d = (err as { details?: unknown } | null)?.details as { field?: string } | { field?: string }[] | undefined
  if (Array.isArray(d)) return d[0]?.field ?? null
  return d?.field ?? null
}
