import { beforeEach, describe, expect, it } from 'vitest';
import { MockBackend } from '../backend/mock';
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

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

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

describe('fetchers against the mock', () => {
  it('users exclude the trash and are sorted by username', async () => {
    const page = await usersFetcher(backend)('', 0, 200);
    expect(page.total).toBe(310);
    expect(page.rows).toHaveLength(200);
    expect(page.rows.every((r) => r.status !== 'pending deletion')).toBe(true);
    const names = page.rows.map((r) => r.username);
    expect([...names].sort()).toEqual(names);
  });

  it('search matches username, name and email case-insensitively', async () => {
    const all = await usersFetcher(backend)('', 0, 1000);
    const sample = all.rows[17];
    const byName = await usersFetcher(backend)(sample.realname.toUpperCase(), 0, 1000);
    expect(byName.rows.map((r) => r.user_id)).toContain(sample.user_id);
    expect(byName.rows.every((r) => r.realname.toLowerCase().includes(sample.realname.toLowerCase()))).toBe(true);
    const byEmail = await usersFetcher(backend)('@acme.example', 0, 1000);
    expect(byEmail.total).toBe(310);
    const none = await usersFetcher(backend)('zzz-nobody', 0, 10);
    expect(none).toEqual({ total: 0, rows: [] });
  });

  it('trash holds pending-deletion users with a purge time', async () => {
    const page = await trashFetcher(backend)('', 0, 200);
    expect(page.total).toBe(8);
    expect(page.rows.every((r) => r.status === 'pending deletion' && r.purge_at !== null)).toBe(true);
  });

  it('groups and admins page with member counts and roles', async () => {
    const groups = await groupsFetcher(backend)('', 0, 200);
    expect(groups.rows.map((g) => g.name)).toContain('Engineering');
    const eng = groups.rows.find((g) => g.name === 'Engineering')!;
    expect(eng.member_count).toBeGreaterThan(0);
    expect(eng.managed_by).toBe('Corporate AD');
    const admins = await adminsFetcher(backend)('', 0, 200);
    expect(admins.total).toBe(15);
    expect(admins.rows.filter((a) => a.managed_by === 'Okta admins')).toHaveLength(12);
    const search = await adminsFetcher(backend)('root@', 0, 10);
    expect(search.rows.map((a) => a.name)).toEqual(['Root Admin']);
  });

  it('a pager over the users fetcher sees new users after a sync once invalidated', async () => {
    const pager = new Pager(usersFetcher(backend), { pageSize: 50 });
    await pager.ensure(0, 10);
    expect(pager.total).toBe(310);
    const key = (await backend.directory_add({ spec: { name: 'Demo', type: 'user', connection: { kind: 'demo', seed: 7, users: 300 } } })).directory_key;
    const r = await backend.sync_run({ key, dry_run: false, approve: false });
    await pager.ensure(0, 10);
    expect(pager.total).toBe(310); // cached until told the data changed
    pager.invalidate();
    await pager.ensure(0, 10);
    expect(pager.total).toBe(310 + r.counts.created);
  });
});
