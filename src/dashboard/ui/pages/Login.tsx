import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { onSessionChange, setToken, takeLogoutReason } from '../session'
import type { Scope } from '../types'

/** Asks for an API token, checks it against the server and learns its scope. */
export function Login({ onLogin }: { onLogin: (scope: Scope) => void }) {
  const [token, setValue] = useState('')
  const [error, setError] = useState<string | null>(() => takeLogoutReason())
  const [busy, setBusy] = useState(false)
  // a reason that arrives while this page shows: a malformed login link pasted here
  useEffect(
    () =>
      onSessionChange(() => {
        const r = takeLogoutReason()
        if (r) setError(r)
      }),
    [],
  )

  const submit = async (e: Event) => {
    e.preventDefault()
    const t = token.trim()
    if (!t) {
      setError('Paste an API token first.')
      return
    }
    setBusy(true)
    setError(null)
    setToken(t)
    try {
      const session = await api<{ scope: Scope }>('api/session')
      onLogin(session.scope)
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="login">
      <form class="panel login-box" onSubmit={submit}>
        <h1 class="brand-big">tickwork</h1>
        <p class="muted">
          Sign in with an API token: an admin token may act, a read token only looks. It is kept in
          this tab only.
        </p>
        <label for="login-token">API token</label>
        <input
          id="login-token"
          class="input"
          type="password"
          autocomplete="off"
          spellcheck={false}
          data-testid="login-token"
          value={token}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        {error && (
          <div class="error-box" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" class="btn btn-primary" data-testid="login-submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
