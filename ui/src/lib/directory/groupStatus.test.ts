// A group's status (Duo's group status): the Groups list's filter sends it to the backend, which filters the
// pages; the badges and choices use Duo's labels; and, replayed from the real backend's recording, setting a
// group to Bypass makes it the one row the Bypass filter answers.

import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { GroupRow } from '../backend/backend';
import { RECORDING, replay } from '../backend/testing';
import GroupsList from './GroupsList.svelte';
import { GROUP_STATUS_CHOICES, groupQuery, listKey, type GroupFilters } from './query';
import { groupBadge, groupListFetcher } from './service';

const filters = (status: GroupFilters['status']): GroupFilters => ({ status, managed: '', sort: 'name', descending: false });
const options = (body: string) => [...body.matchAll(/<option[^>]*>([^<]*)<\/option>/g)].map((m) => m[1]);

describe('group status', () => {
  it('is part of the Groups list query', () => {
    expect(groupQuery(filters('bypass'), 'eng')).toEqual({
      search: 'eng',
      managed_by: { kind: 'any' },
      status: 'bypass',
      sort: 'name',
      descending: false,
    });
    expect(groupQuery(filters(null), '').status).toBeNull();
  });

  it('offers Duo three statuses, with badges', () => {
    expect(GROUP_STATUS_CHOICES.map((c) => c.value)).toEqual(['active', 'bypass', 'disabled']);
    expect(groupBadge('active')).toEqual({ label: 'Active', tone: 'green' });
    expect(groupBadge('bypass')).toEqual({ label: 'Bypass', tone: 'blue' });
    expect(groupBadge('disabled').label).toBe('Disabled');
  });

  it('is a filter on the Groups list', () => {
    const { body } = render(GroupsList, { props: { backend: replay(), dataVersion: 0 } });
    expect(body).toContain('data-testid="filter-group-status"');
    expect(options(body).slice(0, 4)).toEqual(['Any status', 'Active', 'Bypass', 'Disabled']);
  });

  it('filters the pages the backend answers, after a group is set to Bypass', async () => {
    const set = RECORDING.calls.findIndex((c) => c.cmd === 'group_set_status');
    expect(set).toBeGreaterThan(0);
    const args = RECORDING.calls[set].args as { group_id: string; status: string };
    expect(args.status).toBe('bypass');
    const backend = replay().from(set);
    const row = await backend.group_set_status({ group_id: args.group_id, status: 'bypass' });
    expect(row.status).toBe('bypass');
    const fetch = groupListFetcher(backend);
    const bypass = await fetch(listKey(filters('bypass'), ''), 0, 200);
    expect(bypass.rows.map((g: GroupRow) => g.group_id)).toEqual([args.group_id]);
    expect(bypass.total).toBe(1);
    expect((await fetch(listKey(filters('disabled'), ''), 0, 200)).total).toBe(0);
    const every = await fetch(listKey(filters(null), ''), 0, 200);
    expect(every.rows.filter((g: GroupRow) => g.status === 'bypass').map((g) => g.group_id)).toEqual([args.group_id]);
    expect(every.rows.length).toBeGreaterThan(1);
    const detail = await backend.group_detail({ group_id: args.group_id });
    expect(detail.status).toBe('bypass');
  });
});
