// The runs' outcome filter: "All outcomes" with the total, then each outcome the runs have, with how many,
// in the badges' order and with their labels; an outcome no run has is not offered unless it is chosen.

import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import { emptyCounts, type RunOutcome, type RunSummary } from '../backend/backend';
import OutcomeFilter from './OutcomeFilter.svelte';

const run = (run_id: number, outcome: RunOutcome): RunSummary => ({
  run_id,
  directory_key: 'DShr',
  directory_name: 'HR',
  trigger: 'manual',
  outcome,
  started_at: '2026-11-28T20:30:00Z',
  finished_at: '2026-11-28T20:30:41Z',
  counts: emptyCounts(),
  message: null,
});

const runs = [run(3, 'held'), run(2, 'succeeded'), run(1, 'succeeded')];
const options = (body: string) => [...body.matchAll(/<option[^>]*>([^<]*)<\/option>/g)].map((m) => m[1]);

describe('OutcomeFilter', () => {
  it('offers the outcomes the runs have, with counts', () => {
    const { body } = render(OutcomeFilter, { props: { runs, value: '' } });
    expect(options(body)).toEqual(['All outcomes (3)', 'Succeeded (2)', 'Held for approval (1)']);
  });

  it('keeps the chosen outcome offered when no run has it', () => {
    const { body } = render(OutcomeFilter, { props: { runs, value: 'failed' } });
    expect(options(body)).toContain('Failed (0)');
  });
});
