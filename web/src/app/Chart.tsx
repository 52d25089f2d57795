/** Clicks and unique visitors over time, drawn by uPlot (a small kept chart library) at the container's width. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Analytics } from '../lib/types';

function colours(): { accent: string; second: string; fg: string; grid: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return { accent: v('--accent'), second: v('--ok'), fg: v('--muted'), grid: v('--line') };
}

export function Chart({ data }: { data: Analytics }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = colours();
    const xs = data.series.map((p) => Date.parse(p.t) / 1000);
    const axis = { stroke: c.fg, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid } };
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 280),
        height: 260,
        series: [
          {},
          { label: 'Clicks', stroke: c.accent, width: 2, fill: `${c.accent}22`, points: { show: xs.length < 60 } },
          { label: 'Unique visitors', stroke: c.second, width: 2, dash: [6, 4], points: { show: xs.length < 60 } },
        ],
        axes: [axis, { ...axis, size: 50 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
        cursor: { drag: { x: false, y: false } },
      },
      [xs, data.series.map((p) => p.clicks), data.series.map((p) => p.unique_visitors)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 280), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data]);
  const total = data.series.reduce((n, p) => n + p.clicks, 0);
  return (
    <figure class="card">
      <div ref={box} class="chart" role="img"
        aria-label={`Chart: ${total} clicks over ${data.series.length} ${data.interval === 'hour' ? 'hours' : 'days'}`} />
      <figcaption class="muted">
        Clicks (solid) and unique visitors (dashed) per {data.interval}, bots excluded.
      </figcaption>
    </figure>
  );
}
