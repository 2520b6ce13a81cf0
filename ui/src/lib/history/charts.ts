// Sync History's charts, as geometry: the backend gives each sync's runs (users managed after each, what
// each changed); this turns them into SVG coordinates. No rule about runs lives here.

import type { HistorySeries } from '../backend/backend';

export const CHART = { width: 640, height: 200, left: 48, right: 12, top: 12, bottom: 26 };
/** How many colours the charts cycle through (`--chart-1` … in app.css, light and dark). */
export const COLOURS = 6;

export interface Point {
  x: number;
  y: number;
  runId: number;
  value: number;
  at: string;
}

export interface Line {
  key: string;
  name: string;
  colour: number;
  points: Point[];
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  runId: number;
  value: number;
  at: string;
  key: string;
  name: string;
  colour: number;
}

/** A round number at or above `n` for the top of an axis: 1, 2, 5 × 10^k. */
export function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** Maps `v` in [d0, d1] to [r0, r1]; a zero-width domain maps to the middle. */
export function scale(v: number, [d0, d1]: [number, number], [r0, r1]: [number, number]): number {
  if (d1 === d0) return (r0 + r1) / 2;
  return r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

const plotX: [number, number] = [CHART.left, CHART.width - CHART.right];
const plotY: [number, number] = [CHART.height - CHART.bottom, CHART.top];

/** Every run of every sync in time order: the charts' shared x axis (one slot per run, so runs minutes
 * apart stay apart, and a run's point sits above its bar). */
function slots(series: HistorySeries): Map<number, number> {
  const runs = series.syncs
    .flatMap((s) => s.points)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.run_id - b.run_id);
  return new Map(runs.map((p, i) => [p.run_id, i]));
}

function slotWidth(n: number): number {
  return n ? (plotX[1] - plotX[0]) / n : 0;
}

/** Users (admins) each sync managed after each run that applied, one line per sync; `top` is the y axis's top. */
export function usersLines(series: HistorySeries): { lines: Line[]; top: number } {
  const at = slots(series);
  const slot = slotWidth(at.size);
  const top = niceMax(Math.max(0, ...series.syncs.flatMap((s) => s.points.map((p) => p.managed ?? 0))));
  const lines = series.syncs.map((s, i) => ({
    key: s.sync.directory_key,
    name: s.sync.name,
    colour: i % COLOURS,
    points: s.points
      .filter((p) => p.managed !== null)
      .map((p) => ({
        x: plotX[0] + slot * ((at.get(p.run_id) ?? 0) + 0.5),
        y: scale(p.managed ?? 0, [0, top], plotY),
        runId: p.run_id,
        value: p.managed ?? 0,
        at: p.at,
      })),
  }));
  return { lines, top };
}

/** One bar per run (every sync's, in time order) for what it changed; `top` is the y axis's top. */
export function changeBars(series: HistorySeries): { bars: Bar[]; top: number } {
  const runs = series.syncs
    .flatMap((s, i) => s.points.map((p) => ({ p, key: s.sync.directory_key, name: s.sync.name, colour: i % COLOURS })))
    .sort((a, b) => Date.parse(a.p.at) - Date.parse(b.p.at) || a.p.run_id - b.p.run_id);
  const top = niceMax(Math.max(0, ...runs.map((r) => r.p.changes)));
  const slot = slotWidth(runs.length);
  const width = Math.max(1, Math.min(24, slot * 0.7));
  const bars = runs.map((r, i) => {
    const y = scale(r.p.changes, [0, top], plotY);
    return {
      x: plotX[0] + slot * i + (slot - width) / 2,
      y,
      width,
      height: plotY[0] - y,
      runId: r.p.run_id,
      value: r.p.changes,
      at: r.p.at,
      key: r.key,
      name: r.name,
      colour: r.colour,
    };
  });
  return { bars, top };
}

/** The `points` attribute of a polyline. */
export function polyline(points: readonly Point[]): string {
  return points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}
