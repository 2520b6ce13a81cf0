import { describe, expect, it } from 'vitest';
import type { RunReport } from '../backend/backend';
import { RECORDING, recordedSyncs, replay } from '../backend/testing';
import { Pager } from './pager';
import {
  adminBadge,
  adminsFetcher,
  countLabel,
  groupsFetcher,
  groupsText,
  managedByText,
  purgeText,
  trashFetcher,
  userBadge,
  usersFetcher,
} from './service';

/** A backend answering from the recording, just after the demo tenant's first Sync Now of both syncs. */
function synced() {
  const { admin } = recordedSyncs();
  const i = RECORDING.calls.findIndex((c) => c.cmd === 'sync_run' && (c.args as { key: string }).key === admin.directory_key);
  return replay().from(i + 1);
}

describe('list display strings', () => {
  it('labels totals with the right noun', () => {
    expect(countLabel('users', 12345)).toBe('12,345 users');
    expect(countLabel('users', 1)).toBe('1 user');
    expect(countLabel('groups', 3)).toBe('3 groups');
    expect(countLabel('admins', 2)).toBe('2 administrators');
    expect(countLabel('trash', 48)).toBe('48 users in the trash');
  });

  it('maps statuses to badges', () => {
    expect(userBadge('active')).toEqual({ label: 'Active', tone: 'green' });
    expect(userBadge('bypass').tone).toBe('blue');
    expect(userBadge('disabled').tone).toBe('grey');
    expect(userBadge('locked out').tone).toBe('orange');
    expect(userBadge('pending deletion').tone).toBe('red');
    expect(userBadge('something new')).toEqual({ label: 'something new', tone: 'grey' });
    expect(adminBadge('Pending Activation').label).toBe('Pending activation');
  });

  it('formats groups, managed-by and purge times', () => {
    expect(groupsText([])).toBe('—');
    expect(groupsText(['A', 'B', 'C', 'D'])).toBe('A, B, C, +1 more');
    expect(managedByText(null)).toBe('Not managed');
    expect(managedByText('Corporate AD')).toBe('Corporate AD');
    expect(purgeText('2026-12-05T20:35:00Z', new Date('2026-11-28T20:35:00Z'), 'UTC')).toBe(
      'Deleted for good on Dec 5, 2026, 8:35 PM (next week)',
    );
    expect(purgeText(null)).toMatch(/Not scheduled/);
  });
});

describe('fetchers over the recorded backend', () => {
  it('users: a page with its total, sorted by username, none in the trash', async () => {
    const page = await usersFetcher(synced())('', 0, 200);
    expect(page.total).toBe(300);
    expect(page.rows).toHaveLength(200);
    expect(page.rows.every((r) => r.status !== 'pending deletion')).toBe(true);
    const names = page.rows.map((r) => r.username);
    expect([...names].sort()).toEqual(names);
    const rest = await usersFetcher(synced())('', 200, 200);
    expect(rest.rows).toHaveLength(100);
  });

  it('asks the backend for the search as typed, and shows what it found', async () => {
    const found = await usersFetcher(synced())('an', 0, 200);
    expect(found.total).toBeGreaterThan(0);
    expect(found.total).toBeLessThan(300);
    expect(found.rows.every((r) => `${r.username} ${r.realname ?? ''} ${r.email ?? ''}`.toLowerCase().includes('an'))).toBe(true);
  });

  it('trash, groups and admins page with purge times, member counts and roles', async () => {
    const b = replay();
    const held = RECORDING.calls.findIndex((c) => c.cmd === 'sync_run' && (c.args as { approve: boolean }).approve);
    b.from(held + 1);
    const trash = await trashFetcher(b)('', 0, 200);
    expect(trash.total).toBeGreaterThan(0);
    expect(trash.rows.every((r) => r.status === 'pending deletion' && r.purge_at !== null)).toBe(true);
    const groups = await groupsFetcher(synced())('', 0, 200);
    expect(groups.rows.every((g) => g.member_count >= 0)).toBe(true);
    expect(groups.rows.some((g) => g.managed_by === recordedSyncs().user.name)).toBe(true);
    const admins = await adminsFetcher(synced())('', 0, 200);
    expect(admins.rows.some((a) => a.managed_by === recordedSyncs().admin.name)).toBe(true);
  });

  it('a pager over the users fetcher sees new users after a sync once invalidated', async () => {
    const backend = replay();
    const pager = new Pager(usersFetcher(backend), { pageSize: 200 });
    await pager.ensure(0, 10);
    expect(pager.total).toBe(0);
    const { user, admin } = recordedSyncs();
    // As the recorded session did: Sync Now of the user sync, then of the admin sync.
    const r: RunReport = await backend.sync_run({ key: user.directory_key, dry_run: false, approve: false });
    await backend.sync_run({ key: admin.directory_key, dry_run: false, approve: false });
    await pager.ensure(0, 10);
    expect(pager.total).toBe(0); // cached until told the data changed
    pager.invalidate();
    await pager.ensure(0, 10);
    expect(pager.total).toBe(r.counts.created);
  });
});
