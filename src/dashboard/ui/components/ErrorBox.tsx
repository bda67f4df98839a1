import { ApiError } from '../api'
import type { Issue } from '../types'

const describe = (i: Issue) => (i.path ? `${i.path}: ${i.message}` : i.message)

/**
 * The head of a VALIDATION message, without the issues the server appended to it
 * ("invalid payload: email: Invalid email; count: …" → "invalid payload"): the list
 * under it shows them. A message that does not hold the first issue is kept whole.
 */
export function titleOf(message: string, issues: Issue[]): string {
  const first = issues[0]
  if (!first) return message
  for (const needle of [describe(first), first.path, first.message]) {
    if (!needle) continue
    const at = message.indexOf(`: ${needle}`)
    if (at > 0) return message.slice(0, at)
    if (at === 0 || message.startsWith(needle)) return ''
  }
  return message
}

/** An error's message, and for a VALIDATION error each field it names, once. */
export function ErrorBox({ error, testid }: { error: unknown; testid?: string }) {
  if (!error) return null
  const message = error instanceof Error ? error.message : String(error)
  const issues = error instanceof ApiError ? error.issues : []
  const title = titleOf(message, issues) || 'Invalid input'
  return (
    <div class="error-box" role="alert" data-testid={testid}>
      <div>{title}</div>
      {issues.length > 0 && (
        <ul>
          {issues.map((i) => (
            <li key={`${i.path}:${i.message}`}>{describe(i)}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
