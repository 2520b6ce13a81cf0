// The lists' toolbar turned into the backend's queries (the generated UserListQuery / GroupListQuery), and
// back through the pager's cache key; the fetchers send exactly those queries.

import { describe, expect, it } from 'vitest';
import type { Backend, GroupListQuery, Page, UserListQuery, UserRow } from '../backend/backend';
import {
  ariaSort,
  BY_HAND,
  daysLeftText,
  groupQuery,
  listKey,
  managedBy,
  managedChoices,
  splitKey,
  toggleSort,
  userQuery,
  type UserFilters,
} from './query';
import { groupListFetcher, userListFetcher } from './service';
import { recorded, recordedSyncs, replay } from '../backend/testing';

const filters: UserFilters = { status: 'bypass', managed: 'DSKEY', sort: 'email', descending: true };

describe('list queries', () => {
  it('turn the toolbar into the generated query types', () => {
    const q: UserListQuery = userQuery(filters, 'ann');
    expect(q).toEqual({ search: 'ann', status: 'bypass', managed_by: { kind: 'sync', key: 'DSKEY' }, sort: 'email', descending: true });
    expect(managedBy('')).toEqual({ kind: 'any' });
    expect(managedBy(BY_HAND)).toEqual({ kind: 'by_hand' });
    const g: GroupListQuery = groupQuery({ status: null, managed: '', sort: 'sync', descending: false }, '');
    expect(g).toEqual({ search: '', managed_by: { kind: 'any' }, status: null, sort: 'sync', descending: false });
  });

  it('keep the filters and the search apart in the pager key', () => {
    const key = listKey(filters, '  ann  ');
    expect(splitKey<UserFilters>(key)).toEqual({ filters, search: 'ann' });
    expect(listKey(filters, 'a')).not.toBe(listKey({ ...filters, descending: false }, 'a'));
  });

  it('turn the order around on the same column and sort ascending on another', () => {
    expect(toggleSort({ sort: 'name', descending: false }, 'name')).toEqual({ sort: 'name', descending: true });
    expect(toggleSort({ sort: 'name', descending: true }, 'email')).toEqual({ sort: 'email', descending: false });
    expect(ariaSort({ sort: 'name', descending: true }, 'name')).toBe('descending');
    expect(ariaSort({ sort: 'name', descending: true }, 'email')).toBe('none');
  });

  it('offer the user syncs the backend lists, not the admin syncs', () => {
    const { user, admin } = recordedSyncs();
    const choices = managedChoices([user, admin]);
    expect(choices.map((c) => c.value)).toEqual(['', BY_HAND, user.directory_key]);
  });

  it('say how many days are left in the trash', () => {
    const now = new Date('2026-11-28T09:00:00Z');
    expect(daysLeftText('2026-12-05T09:00:00Z', now)).toBe('7 days left');
    expect(daysLeftText('2026-11-29T08:00:00Z', now)).toBe('1 day left');
    expect(daysLeftText('2026-11-28T08:00:00Z', now)).toBe('deleted today');
    expect(daysLeftText(null, now)).toBe('not scheduled');
  });

  it('fetch pages with the query the toolbar shows, from the Users list or the Trash', async () => {
    const sent: { cmd: string; args: unknown }[] = [];
    const page: Page<UserRow> = { total: 1, rows: [], next: null };
    const backend = {
      user_list: async (args: unknown) => (sent.push({ cmd: 'user_list', args }), page),
      trash_list: async (args: unknown) => (sent.push({ cmd: 'trash_list', args }), page),
      group_list: async (args: unknown) => (sent.push({ cmd: 'group_list', args }), { ...page, rows: [] }),
    } as unknown as Backend;
    await userListFetcher(backend, false)(listKey(filters, 'ann'), 200, 50);
    await userListFetcher(backend, true)(listKey(filters, ''), 0, 50);
    await groupListFetcher(backend)(listKey({ managed: BY_HAND, sort: 'name', descending: false }, 'x'), 0, 10);
    expect(sent).toEqual([
      { cmd: 'user_list', args: { query: userQuery(filters, 'ann'), offset: 200, limit: 50 } },
      { cmd: 'trash_list', args: { query: userQuery(filters, ''), offset: 0, limit: 50 } },
      {
        cmd: 'group_list',
        args: { query: { search: 'x', managed_by: { kind: 'by_hand' }, sort: 'name', descending: false }, offset: 0, limit: 10 },
      },
    ]);
  });
});

describe('the lists against the recorded backend', () => {
  it('page the Users list and the Trash as the backend answered the same queries', async () => {
    const backend = replay();
    const users = await userListFetcher(backend, false)(
      listKey({ status: null, managed: '', sort: 'username', descending: false }, ''),
      0,
      200,
    );
    expect(users.total).toBe(recorded<Page<UserRow>>('user_list').total);
    expect(users.rows.map((u) => u.username)).toEqual([...users.rows.map((u) => u.username)].sort());
    const trash = await userListFetcher(backend, true)(
      listKey({ status: null, managed: '', sort: 'days_left', descending: false }, ''),
      0,
      200,
    );
    expect(trash.rows.every((u) => u.status === 'pending deletion' && u.purge_at !== null)).toBe(true);
    const actions = await backend.list_actions();
    expect(actions.purge.allowed).toBe(true);
  });
});
