import { pretty } from '../format'

/** Any JSON value as indented text in a <pre>: run data is untrusted, so it stays text. */
export function JsonView({ value, testid }: { value: unknown; testid?: string }) {
  return (
    <pre class="json" data-testid={testid}>
      {pretty(value)}
    </pre>
  )
}
