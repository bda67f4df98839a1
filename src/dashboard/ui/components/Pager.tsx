import { useState } from 'preact/hooks'

export const PAGE = 25
/** The API's largest page: "load more" grows the one request up to this */
export const MAX_ROWS = 1000

/** Where a paged list stands: how many rows it asks for, from which run on. */
export interface Paging {
  limit: number
  /** `next` of an earlier page: the list starts below that run; absent, at the newest */
  cursor: string | undefined
  set(at: { limit: number; cursor?: string }): void
}

/** A paged list's position, starting at the newest page. */
export function usePaging(): Paging {
  const [at, setAt] = useState<{ limit: number; cursor?: string }>({ limit: PAGE })
  return { limit: at.limit, cursor: at.cursor, set: setAt }
}

/**
 * Under a list that is re-fetched live: "load more" grows the one request a page at a
 * time, so a refresh reloads everything shown and nothing shifts between pages. Past
 * the API's largest page, "older runs" starts a new list below the last run shown, so
 * any depth of history stays reachable.
 */
export function Pager({
  paging,
  shown,
  next,
  testid,
}: {
  paging: Paging
  shown: number
  /** the `next` cursor of the answer: there are older rows */
  next: string | undefined
  testid: string
}) {
  const { limit, cursor } = paging
  return (
    <div class="pager">
      <span class="muted">
        {shown === 0 ? 'none' : `${shown} shown${cursor ? `, older than run ${cursor}` : ''}`}
      </span>
      {cursor && (
        <button
          type="button"
          class="btn"
          data-testid={`${testid}-newest`}
          onClick={() => paging.set({ limit: PAGE })}
        >
          Back to newest
        </button>
      )}
      {next && limit < MAX_ROWS && (
        <button
          type="button"
          class="btn"
          data-testid={testid}
          onClick={() => paging.set({ cursor, limit: Math.min(limit + PAGE, MAX_ROWS) })}
        >
          Load more
        </button>
      )}
      {next && limit >= MAX_ROWS && (
        <button
          type="button"
          class="btn"
          data-testid={`${testid}-older`}
          onClick={() => paging.set({ cursor: next, limit: PAGE })}
        >
          Older runs
        </button>
      )}
    </div>
  )
}
