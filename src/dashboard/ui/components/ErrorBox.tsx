import { ApiError } from '../api'

/** An error's message, and for a VALIDATION error each field it names. */
export function ErrorBox({ error, testid }: { error: unknown; testid?: string }) {
  if (!error) return null
  const message = error instanceof Error ? error.message : String(error)
  const issues = error instanceof ApiError ? error.issues : []
  return (
    <div class="error-box" role="alert" data-testid={testid}>
      <div>{message}</div>
      {issues.length > 0 && (
        <ul>
          {issues.map((i) => (
            <li key={`${i.path}:${i.message}`}>{i.path ? `${i.path}: ${i.message}` : i.message}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
