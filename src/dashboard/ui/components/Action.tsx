import type { ComponentChildren } from 'preact'

/**
 * A button that changes something. Pages render it for admin tokens only; `data-admin`
 * marks it, so the browser tests can check that a read token is shown none.
 */
export function Action({
  testid,
  class: cls = 'btn',
  disabled,
  expanded,
  onClick,
  children,
}: {
  testid: string
  class?: string
  disabled?: boolean
  /** for a button that opens a panel */
  expanded?: boolean
  onClick: () => void
  children: ComponentChildren
}) {
  return (
    <button
      type="button"
      class={cls}
      data-testid={testid}
      data-admin
      disabled={disabled}
      aria-expanded={expanded}
      onClick={onClick}
    >
      {children}
    </button>
  )
}
