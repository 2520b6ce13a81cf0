// The runs' outcome filter: "All outcomes", then every outcome in the badges' order with their labels (the
// backend filters the pages, so an outcome is offered whether or not a loaded run has it).

import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import OutcomeFilter from './OutcomeFilter.svelte';
import { OUTCOME_BADGES } from './service';

const options = (body: string) => [...body.matchAll(/<option[^>]*>([^<]*)<\/option>/g)].map((m) => m[1]);

describe('OutcomeFilter', () => {
  it('offers every outcome, with its label', () => {
    const { body } = render(OutcomeFilter, { props: { value: '' } });
    expect(options(body)).toEqual(['All outcomes', ...Object.values(OUTCOME_BADGES).map((b) => b.label)]);
  });

  it('shows the chosen outcome as selected', () => {
    const { body } = render(OutcomeFilter, { props: { value: 'failed' } });
    expect(body).toMatch(/<option value="failed"[^>]*selected/);
  });
});
