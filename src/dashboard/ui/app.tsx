import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from './api'
import { ErrorBox } from './components/ErrorBox'
import { Header } from './components/Header'
import { Failed } from './pages/Failed'
import { Job } from './pages/Job'
import { Login } from './pages/Login'
import { Overview } from './pages/Overview'
import { Run } from './pages/Run'
import { navigate, type Route, useRoute } from './router'
import { getToken, requireLogin, takeReturnTo } from './session'
import type { Scope } from './types'

function Page({ route, admin }: { route: Route; admin: boolean }) {
  switch (route.page) {
    case 'overview':
      return <Overview />
    case 'failed':
      return <Failed admin={admin} />
    case 'job':
      return <Job key={route.name} name={route.name} admin={admin} />
    case 'run':
      return <Run key={route.id} id={route.id} admin={admin} />
    default:
      return (
        <section class="panel">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.page === 'missing' ? route.path : ''}</code>.{' '}
            <a href="#/">Back to the jobs</a>
          </p>
        </section>
      )
  }
}

export function App() {
  const route = useRoute()
  const [scope, setScope] = useState<Scope | null>(null)
  const [failure, setFailure] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)
  const hasToken = getToken() !== null

  useEffect(() => {
    if (route.page === 'login' || scope) return
    if (!hasToken) {
      requireLogin()
      return
    }
    setFailure(null)
    api<{ scope: Scope }>('api/session')
      .then((s) => setScope(s.scope))
      .catch((err) => {
        // a 401 has already ended the session and shown the login page
        if (!(err instanceof ApiError && err.status === 401)) setFailure(err)
      })
  }, [route.page, scope, hasToken, attempt])

  if (route.page === 'login' || !hasToken) {
    return (
      <Login
        onLogin={(s) => {
          setScope(s)
          navigate(takeReturnTo())
        }}
      />
    )
  }
  if (!scope) {
    return (
      <main class="main">
        {failure ? (
          <>
            <ErrorBox error={failure} />
            <button type="button" class="btn" onClick={() => setAttempt((n) => n + 1)}>
              Try again
            </button>
          </>
        ) : (
          <p class="muted">Connecting…</p>
        )}
      </main>
    )
  }
  return (
    <>
      <Header route={route} scope={scope} />
      <main class="main">
        <Page route={route} admin={scope === 'admin'} />
      </main>
    </>
  )
}
