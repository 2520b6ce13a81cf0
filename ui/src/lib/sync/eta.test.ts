import { describe, expect, it } from 'vitest';
import { etaText, phaseStart } from './eta';
import type { ProgressView } from './service';

const view = (done: number, total: number, phase: ProgressView['phase'] = 'applying'): ProgressView => ({
  key: 'DS1',
  runId: 1,
  phase,
  phaseLabel: phase,
  done,
  total,
  percent: total ? Math.round((done / total) * 100) : null,
  message: '',
  finished: false,
});

describe('etaText', () => {
  it('says nothing until the phase has moved', () => {
    const s = phaseStart(null, view(0, 1000), 0);
    expect(etaText(view(0, 1000), s, 5000)).toBeNull();
  });
  it('extrapolates the pace of the phase so far', () => {
    const s = phaseStart(null, view(0, 1000), 0);
    expect(etaText(view(100, 1000), s, 10_000)).toBe('about 2 minutes left');
    expect(etaText(view(500, 1000), s, 20_000)).toBe('about 20 seconds left');
  });
  it('starts again when the phase changes', () => {
    const s = phaseStart(null, view(10, 10, 'fetching'), 0);
    const next = phaseStart(s, view(0, 100, 'applying'), 30_000);
    expect(next).not.toBe(s);
    expect(next.at).toBe(30_000);
    expect(phaseStart(next, view(50, 100, 'applying'), 40_000)).toBe(next);
  });
});
