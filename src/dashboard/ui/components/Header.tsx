import type { Route } from '../router'
import { logout } from '../session'
import type { Scope } from '../types'

/** The bar on every page: where to go, which token is in use, and the way out. */
export function Header({ route, scope }: { route: Route; scope: Scope }) {
  const current = (page: Route['page']) => (route.page === page ? 'page' : undefined)
  return (
    <header class="top">
      <a class="brand" href="#/">
        tickwork
      </a>
      <nav class="nav">
        <a href="#/" data-testid="nav-overview" aria-current={current('overview')}>
          Jobs
        </a>
        <a href="#/failed" data-testid="nav-failed" aria-current={current('failed')}>
          Failed runs
        </a>
      </nav>
      <span class="spacer" />
      <span class={`scope scope-${scope}`} title="the scope of this token">
        <span class="muted">token: </span>
        <span data-testid="session-scope">{scope}</span>
      </span>
      <button type="button" class="btn btn-quiet" data-testid="logout" onClick={() => logout()}>
        Log out
      </button>
    </header>
  )
}
