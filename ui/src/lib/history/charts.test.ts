// Sync History's chart geometry and the charts as rendered: one point per run that applied (users after it),
// one bar per run (what it changed), each opening its run; on the generated HistorySeries type.

import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { HistorySeries, SeriesPoint } from '../backend/backend';
import Charts from './Charts.svelte';
import { CHART, changeBars, niceMax, scale, usersLines } from './charts';

function point(run_id: number, at: string, managed: number | null, changes: number): SeriesPoint {
  return { run_id, at, outcome: managed === null ? 'held' : 'succeeded', trigger: 'manual', managed, changes };
}

const series: HistorySeries = {
  per_sync: 100,
  syncs: [
    {
      sync: { directory_key: 'DSA', name: 'Staff' },
      sync_type: 'user',
      points: [
        point(1, '2026-11-28T09:00:00Z', 300, 312),
        point(3, '2026-11-28T10:00:00Z', null, 40),
        point(4, '2026-11-28T11:00:00Z', 296, 9),
      ],
    },
    { sync: { directory_key: 'DSB', name: 'Lab' }, sync_type: 'user', points: [point(2, '2026-11-28T09:30:00Z', 120, 130)] },
  ],
};

describe('chart geometry', () => {
  it('rounds axis tops up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 12, 300, 312, 5000].map(niceMax)).toEqual([1, 1, 5, 10, 20, 500, 500, 5000]);
    expect(scale(5, [0, 10], [0, 100])).toBe(50);
    expect(scale(1, [1, 1], [0, 100])).toBe(50);
  });

  it('draws a line per sync through the runs that applied, leaving held ones out', () => {
    const { lines, top } = usersLines(series);
    expect(top).toBe(500);
    expect(lines.map((l) => l.points.map((p) => p.runId))).toEqual([[1, 4], [2]]);
    const [first, last] = lines[0].points;
    const slot = (CHART.width - CHART.right - CHART.left) / 4; // four runs in all, one slot each
    expect(first.x).toBeCloseTo(CHART.left + slot / 2);
    expect(last.x).toBeCloseTo(CHART.left + slot * 3.5, 5);
    expect(lines[1].points[0].x).toBeCloseTo(CHART.left + slot * 1.5, 5);
    expect(first.y).toBeLessThan(CHART.height - CHART.bottom);
    const bars = changeBars(series).bars;
    expect(bars[3].x + bars[3].width / 2).toBeCloseTo(last.x, 5);
  });

  it('draws a bar per run in time order, held runs too', () => {
    const { bars, top } = changeBars(series);
    expect(bars.map((b) => b.runId)).toEqual([1, 2, 3, 4]);
    expect(top).toBe(500);
    expect(bars[0].height).toBeGreaterThan(bars[3].height);
    expect(bars.every((b) => b.x >= CHART.left && b.x + b.width <= CHART.width - CHART.right)).toBe(true);
  });
});

describe('Charts', () => {
  it('renders a point per applied run and a bar per run, each a button that names its run', () => {
    const { body } = render(Charts, { props: { series, onopen: () => {} } });
    expect(body.match(/data-testid="users-point"/g)).toHaveLength(3);
    expect(body.match(/data-testid="changes-bar"/g)).toHaveLength(4);
    expect(body).toContain('data-points="3"');
    expect(body).toContain('Staff, run 3: 40 changes');
    expect(body).toMatch(/<li><span class="swatch c1[^"]*"><\/span>Lab<\/li>/);
  });
});
