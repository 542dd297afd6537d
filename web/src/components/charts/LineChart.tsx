/**
 * A thin React wrapper around uPlot: builds the chart when its options change, feeds new data
 * without rebuilding, reports drag-selections (zoom), double-clicks (reset) and each redraw.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";

export interface LineChartProps {
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  width: number;
  height: number;
  /** The x range the user dragged over. */
  onSelect?: (min: number, max: number) => void;
  onReset?: () => void;
  onDraw?: () => void;
  /** Fixed x range, or null for the data's extent. */
  xRange?: [number, number] | null;
}

export function LineChart({ options, data, width, height, onSelect, onReset, onDraw, xRange }: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const cb = useRef({ onSelect, onReset, onDraw });
  cb.current = { onSelect, onReset, onDraw };
  const dataRef = useRef(data);
  dataRef.current = data;
  const rangeRef = useRef(xRange);
  rangeRef.current = xRange;

  useEffect(() => {
    const el = host.current;
    if (!el || width <= 0) return;
    const opts: uPlot.Options = {
      ...options,
      width,
      height,
      hooks: {
        ...options.hooks,
        draw: [...(options.hooks?.draw ?? []), () => cb.current.onDraw?.()],
        setSelect: [
          ...(options.hooks?.setSelect ?? []),
          (u: uPlot) => {
            if (u.select.width < 4) return;
            const min = u.posToVal(u.select.left, "x");
            const max = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            cb.current.onSelect?.(min, max);
          },
        ],
      },
    };
    const u = new uPlot(opts, dataRef.current, el);
    plot.current = u;
    const r = rangeRef.current;
    if (r) u.setScale("x", { min: r[0], max: r[1] });
    const onDbl = () => cb.current.onReset?.();
    u.over.addEventListener("dblclick", onDbl);
    return () => {
      u.over.removeEventListener("dblclick", onDbl);
      u.destroy();
      plot.current = null;
    };
    // width is applied by setSize below; rebuilding on width would be wasteful
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [options, height, width > 0]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data, !xRange);
    if (xRange) u.setScale("x", { min: xRange[0], max: xRange[1] });
  }, [data, xRange]);

  useEffect(() => {
    const u = plot.current;
    if (u && width > 0 && (u.width !== width || u.height !== height)) u.setSize({ width, height });
  }, [width, height]);

  return <div ref={host} className="uplot-host" />;
}
