import type { ComponentChildren } from 'preact'

export interface Column<T> {
  label: ComponentChildren
  cell: (row: T) => ComponentChildren
  /** a class for the column's cells: 'mono', 'num', 'nowrap', … */
  class?: string
}

/** Attributes for a row: its test id, data-* values, class. */
type RowProps = Record<string, string | undefined>

/** A dense table; it scrolls sideways on narrow screens instead of squeezing its columns. */
export function Table<T>({
  columns,
  rows,
  rowKey,
  rowProps,
  empty = 'Nothing here.',
}: {
  columns: Column<T>[]
  rows: T[]
  rowKey: (row: T) => string
  rowProps?: (row: T) => RowProps
  empty?: ComponentChildren
}) {
  if (rows.length === 0) return <p class="empty">{empty}</p>
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} class={c.class}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((c, i) => (
                <td key={i} class={c.class}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
