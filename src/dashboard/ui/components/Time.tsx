import { relative, utc } from '../format'

/** A UTC time with how far it is from now; `inline` puts both on one line. */
export function Time({ iso, inline }: { iso: string | null | undefined; inline?: boolean }) {
  if (!iso) return <span class="muted">—</span>
  return (
    <time dateTime={iso} class={inline ? 'time inline' : 'time'}>
      <span class="mono">{utc(iso)}</span> <span class="rel">{relative(iso)}</span>
    </time>
  )
}
