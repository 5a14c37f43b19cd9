import { createMemo } from 'solid-js'
import { renderSVG } from 'uqr'

/**
 * The QR string drawn as SVG. Redrawn whenever the value changes (WhatsApp rotates it every
 * ~20 s); always black on white with a quiet zone, whatever the theme, so phones can read it.
 */
export function QrCode(props: { value: string; label: string }) {
  // uqr builds the markup from the encoded bits only (numbers and fixed colours): safe as innerHTML.
  const svg = createMemo(() => renderSVG(props.value, { border: 2, ecc: 'M' }))
  return <div class="wa-qr" role="img" aria-label={props.label} data-testid="wa-qr" data-qr={props.value} innerHTML={svg()} />
}
