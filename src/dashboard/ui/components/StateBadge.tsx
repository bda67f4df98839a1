/** A run's (or backfill's, or tick's) state as a coloured pill; `data-state` carries it too. */
export function StateBadge({ state, testid }: { state: string; testid?: string }) {
  return (
    <span class={`badge state-${state}`} data-state={state} data-testid={testid}>
      {state}
    </span>
  )
}
