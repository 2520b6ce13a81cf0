// Users / Groups / Administrators / Trash lists: fetchers for the pager and row display strings.

import type { AdminRow, AdminStatus, Backend, GroupRow, GroupStatus, Page, UserRow, UserStatus } from '../backend/backend';
import { formatAbsolute, formatRelative, plural, truncateList, type Tone } from '../format';
import type { PageFetcher, PageResult } from './pager';
import { groupQuery, splitKey, userQuery, type GroupFilters, type UserFilters } from './query';

export type ListKind = 'users' | 'groups' | 'admins' | 'trash';

export const PAGE_SIZE = 200;
export const SEARCH_DEBOUNCE_MS = 150;

export interface ListMeta {
  title: string;
  singular: string;
  plural: string;
  searchLabel: string;
  searchPlaceholder: string;
  empty: string;
  emptySearch: string;
  description: string;
}

export const LIST_META: Record<ListKind, ListMeta> = {
  users: {
    title: 'Users',
    singular: 'user',
    plural: 'users',
    searchLabel: 'Search users',
    searchPlaceholder: 'Search by username, name or email',
    empty: 'No users yet. Add a directory sync under Directory Sync, then run Sync Now to bring users in.',
    emptySearch: 'No users match your search and filters. Clear the search or choose "Any" to see everyone.',
    description: 'Everyone in this tenant, whether a directory sync manages them or they were added by hand.',
  },
  groups: {
    title: 'Groups',
    singular: 'group',
    plural: 'groups',
    searchLabel: 'Search groups',
    searchPlaceholder: 'Search by name',
    empty: 'No groups yet. A directory sync brings in the groups it selects: add one under Directory Sync.',
    emptySearch: 'No groups match your search and filters.',
    description: 'Groups synced from directories and groups created by hand.',
  },
  admins: {
    title: 'Administrators',
    singular: 'administrator',
    plural: 'administrators',
    searchLabel: 'Search administrators',
    searchPlaceholder: 'Search by name or email',
    empty: 'No administrators yet.',
    emptySearch: 'No administrators match your search.',
    description: 'People who can manage this tenant. Admin syncs keep their roles in step with the directory.',
  },
  trash: {
    title: 'Trash',
    singular: 'user',
    plural: 'users',
    searchLabel: 'Search the trash',
    searchPlaceholder: 'Search by username, name or email',
    empty: 'The trash is empty. Users a sync no longer finds, or that you delete, wait here before they are deleted for good.',
    emptySearch: 'No users in the trash match your search.',
    description:
      'Users who left their source directory. They stay here for a while, are restored if they come back, and are then deleted for good.',
  },
};

export function countLabel(kind: ListKind, total: number): string {
  const m = LIST_META[kind];
  const text = plural(total, m.singular, m.plural);
  return kind === 'trash' ? `${text} in the trash` : text;
}

export const USER_STATUS_BADGES: Record<UserStatus, { label: string; tone: Tone }> = {
  active: { label: 'Active', tone: 'green' },
  bypass: { label: 'Bypass', tone: 'blue' },
  disabled: { label: 'Disabled', tone: 'grey' },
  'locked out': { label: 'Locked out', tone: 'orange' },
  'pending deletion': { label: 'Pending deletion', tone: 'red' },
};

export const ADMIN_STATUS_BADGES: Record<AdminStatus, { label: string; tone: Tone }> = {
  Active: { label: 'Active', tone: 'green' },
  Disabled: { label: 'Disabled', tone: 'grey' },
  'Pending Activation': { label: 'Pending activation', tone: 'blue' },
  Expired: { label: 'Expired', tone: 'orange' },
};

export const GROUP_STATUS_BADGES: Record<GroupStatus, { label: string; tone: Tone }> = {
  active: { label: 'Active', tone: 'green' },
  bypass: { label: 'Bypass', tone: 'blue' },
  disabled: { label: 'Disabled', tone: 'grey' },
};

export function groupBadge(status: string): { label: string; tone: Tone } {
  return GROUP_STATUS_BADGES[status as GroupStatus] ?? { label: status, tone: 'grey' };
}

export function userBadge(status: string): { label: string; tone: Tone } {
  return USER_STATUS_BADGES[status as UserStatus] ?? { label: status, tone: 'grey' };
}

export function adminBadge(status: string): { label: string; tone: Tone } {
  return ADMIN_STATUS_BADGES[status as AdminStatus] ?? { label: status, tone: 'grey' };
}

export const NOT_MANAGED = 'Not managed';

export function managedByText(managedBy: string | null): string {
  return managedBy ?? NOT_MANAGED;
}

export function groupsText(groups: readonly string[], max = 3): string {
  return groups.length ? truncateList(groups, max) : '—';
}

export function purgeText(purgeAt: string | null, now: Date = new Date(), timeZone?: string): string {
  if (!purgeAt) return 'Not scheduled for deletion';
  return `Deleted for good on ${formatAbsolute(purgeAt, timeZone)} (${formatRelative(purgeAt, now)})`;
}

// ---------- fetchers ----------

/**
 * A page as the pager keeps it. The lists ask by offset, and the backend counts those pages, so `total` is
 * always a number here; should it ever be missing, the rows known so far (and one more if a next page
 * exists) stand in, so the list still grows as it scrolls.
 */
export function counted<T>(page: Page<T>, offset: number): PageResult<T> {
  return { total: page.total ?? offset + page.rows.length + (page.next === null ? 0 : 1), rows: page.rows };
}

export function usersFetcher(backend: Backend): PageFetcher<UserRow> {
  return async (query, offset, limit) => counted(await backend.users_page({ query, offset, limit }), offset);
}

export function trashFetcher(backend: Backend): PageFetcher<UserRow> {
  return async (query, offset, limit) => counted(await backend.trash_page({ query, offset, limit }), offset);
}

export function groupsFetcher(backend: Backend): PageFetcher<GroupRow> {
  return async (query, offset, limit) => counted(await backend.groups_page({ query, offset, limit }), offset);
}

export function adminsFetcher(backend: Backend): PageFetcher<AdminRow> {
  return async (query, offset, limit) => counted(await backend.admins_page({ query, offset, limit }), offset);
}

// ---------- searched, filtered and sorted lists (the backend does the work) ----------

export function userListFetcher(backend: Backend, trash: boolean): PageFetcher<UserRow> {
  return async (key, offset, limit) => {
    const { filters, search } = splitKey<UserFilters>(key);
    const args = { query: userQuery(filters, search), offset, limit };
    return counted(await (trash ? backend.trash_list(args) : backend.user_list(args)), offset);
  };
}

export function groupListFetcher(backend: Backend): PageFetcher<GroupRow> {
  return async (key, offset, limit) => {
    const { filters, search } = splitKey<GroupFilters>(key);
    return counted(await backend.group_list({ query: groupQuery(filters, search), offset, limit }), offset);
  };
}
