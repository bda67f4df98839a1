import { useEffect, useRef, useState } from 'preact/hooks'
import { api, enc } from '../api'
import { useDebounced } from '../hooks'
import type { Issue } from '../types'

type Parsed = { ok: true; value: unknown } | { ok: false; message: string }

function parse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
}

const describe = (i: Issue) => (i.path ? `${i.path}: ${i.message}` : i.message)

/** The server's verdict on one text of the editor. */
interface Verdict {
  text: string
  issues: string[]
  /** the check itself failed (not the payload): submitting is left to the server */
  failed?: string
}

/** Where a payload typed as JSON stands. */
export interface PayloadCheck {
  /** the payload to send once `ready`; undefined for an optional field left empty */
  value: unknown
  /** what is wrong with the text, "path: message" each (JSON syntax included) */
  issues: string[]
  /** the text is known to be valid: submitting may go ahead */
  ready: boolean
  /** the server's check of this text is still to come */
  checking: boolean
  /** why the check itself could not be made */
  failed: string | undefined
}

/**
 * Checks `text` as a payload of `job`: parsed as JSON on every keystroke, checked against
 * the job's payload schema (`POST /api/jobs/:job/validate`) once typing pauses. Only the
 * verdict on the current text counts, so an answer about older text never enables
 * submitting. With `optional`, an empty text is valid and means no payload.
 */
export function usePayloadCheck(
  job: string,
  text: string,
  { optional = false }: { optional?: boolean } = {},
): PayloadCheck {
  const [verdict, setVerdict] = useState<Verdict | null>(null)
  const settled = useDebounced(text, 200)
  const seq = useRef(0)
  const none = optional && text.trim() === ''
  const parsed = none ? null : parse(text)

  useEffect(() => {
    if (optional && settled.trim() === '') return
    const p = parse(settled)
    if (!p.ok) return
    const mine = ++seq.current
    api<{ valid: boolean; issues: Issue[] }>(`api/jobs/${enc(job)}/validate`, {
      method: 'POST',
      body: { payload: p.value },
    })
      .then((r) => {
        if (mine === seq.current)
          setVerdict({ text: settled, issues: r.valid ? [] : r.issues.map(describe) })
      })
      .catch((err: Error) => {
        if (mine === seq.current) setVerdict({ text: settled, issues: [], failed: err.message })
      })
  }, [settled, job, optional])

  if (parsed === null)
    return { value: undefined, issues: [], ready: true, checking: false, failed: undefined }
  if (!parsed.ok)
    return {
      value: undefined,
      issues: [`JSON: ${parsed.message}`],
      ready: false,
      checking: false,
      failed: undefined,
    }
  const current = verdict?.text === text ? verdict : null
  const issues = current?.issues ?? []
  return {
    value: parsed.value,
    issues,
    ready: current !== null && issues.length === 0,
    checking: current === null,
    failed: current?.failed,
  }
}

/** A JSON payload's textarea with the issues of `check` listed under it. */
export function PayloadEditor({
  id,
  label,
  testid,
  errorsTestid,
  text,
  onInput,
  check,
  rows = 8,
  placeholder,
}: {
  id: string
  label: string
  testid: string
  errorsTestid: string
  text: string
  onInput: (text: string) => void
  check: PayloadCheck
  rows?: number
  placeholder?: string
}) {
  return (
    <div class="payload-editor">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        class="input code"
        rows={rows}
        spellcheck={false}
        placeholder={placeholder}
        data-testid={testid}
        data-admin
        value={text}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <ul class="issues" data-testid={errorsTestid} aria-live="polite">
        {check.issues.map((i) => (
          <li key={i}>{i}</li>
        ))}
      </ul>
      {check.failed && <p class="muted small">Could not check the payload: {check.failed}</p>}
    </div>
  )
}
