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
import { adoptHashToken, getToken, requireLogin, takeReturnTo, useToken } from './session'
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
  // first: a login link in the hash is adopted (and replaced) before anything reads it
  const route = useRoute(adoptHashToken)
  const token = useToken()
  // the scope belongs to the token it was learnt for: a new token (a login link pasted
  // into this tab) is asked about afresh
  const [session, setSession] = useState<{ token: string; scope: Scope } | null>(null)
  const scope = session && session.token === token ? session.scope : null
  const [failure, setFailure] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    if (route.page === 'login' || scope) return
    if (token === null) {
      requireLogin()
      return
    }
    setFailure(null)
    let stale = false
    api<{ scope: Scope }>('api/session')
      .then((s) => {
        if (!stale) setSession({ token, scope: s.scope })
      })
      .catch((err) => {
        // a 401 has already ended the session and shown the login page
        if (!stale && !(err instanceof ApiError && err.status === 401)) setFailure(err)
      })
    return () => {
      stale = true
    }
  }, [route.page, scope, token, attempt])

  if (route.page === 'login' || token === null) {
    return (
      <Login
        onLogin={(s) => {
          const t = getToken()
          if (t) setSession({ token: t, scope: s })
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
