import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>

/**
 * A uPlot chart that fills its container's width and follows it as it resizes. New data
 * is drawn into the same plot; new `options` (memoise them) rebuild it; unmounting
 * destroys it, with its listeners.
 */
export function Chart({
  options,
  data,
  height,
  label,
  testid,
  class: className,
}: {
  options: ChartOptions
  data: uPlot.AlignedData
  height: number
  label: string
  testid?: string
  class?: string
}) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const latest = useRef(data)
  latest.current = data

  useEffect(() => {
    const el = box.current
    if (!el) return
    const width = () => Math.max(el.clientWidth, 60)
    const u = new uPlot({ ...options, width: width(), height }, latest.current, el)
    plot.current = u
    const observer = new ResizeObserver(() => {
      if (width() !== u.width) u.setSize({ width: width(), height })
    })
    observer.observe(el)
    return () => {
      observer.disconnect()
      u.destroy()
      plot.current = null
    }
  }, [options, height])

  useEffect(() => {
    plot.current?.setData(data)
  }, [data])

  return (
    <div
      ref={box}
      class={className ? `chart ${className}` : 'chart'}
      role="img"
      aria-label={label}
      title={label}
      data-testid={testid}
    />
  )
}
