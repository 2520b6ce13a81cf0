// What the Users, Groups and Trash lists ask the backend for: a search, filters and an order, as the
// generated query types. The backend does the searching, filtering and sorting (through its indexes); this
// module only turns what the toolbar shows into those queries, and back.

import type {
  DirectorySummary,
  GroupListQuery,
  GroupSortKey,
  GroupStatus,
  ManagedBy,
  UserListQuery,
  UserSortKey,
  UserStatus,
} from '../backend/backend';

/** The pager caches pages per query string: the filters and the order, then the search. */
const SEP = '\u0000';

export function listKey(filters: object, search: string): string {
  return JSON.stringify(filters) + SEP + search.trim();
}

export function splitKey<F>(key: string): { filters: F; search: string } {
  const i = key.indexOf(SEP);
  return { filters: JSON.parse(key.slice(0, i)) as F, search: key.slice(i + 1) };
}

/** The toolbar's filters and order of the Users and Trash lists (the search is apart). */
export interface UserFilters {
  status: UserStatus | null;
  /** `''` any, `'by_hand'`, or a sync's key. */
  managed: string;
  sort: UserSortKey;
  descending: boolean;
}

export interface GroupFilters {
  status: GroupStatus | null;
  managed: string;
  sort: GroupSortKey;
  descending: boolean;
}

export const BY_HAND = 'by_hand';

export function managedBy(managed: string): ManagedBy {
  if (managed === '') return { kind: 'any' };
  if (managed === BY_HAND) return { kind: 'by_hand' };
  return { kind: 'sync', key: managed };
}

export function userQuery(f: UserFilters, search: string): UserListQuery {
  return { search, status: f.status, managed_by: managedBy(f.managed), sort: f.sort, descending: f.descending };
}

export function groupQuery(f: GroupFilters, search: string): GroupListQuery {
  return { search, managed_by: managedBy(f.managed), status: f.status, sort: f.sort, descending: f.descending };
}

/** Clicking a column header: the same column turns the order around, another sorts by it, ascending. */
export function toggleSort<K extends string>(current: { sort: K; descending: boolean }, key: K): { sort: K; descending: boolean } {
  return current.sort === key ? { sort: key, descending: !current.descending } : { sort: key, descending: false };
}

/** `aria-sort` of a header. */
export function ariaSort(current: { sort: string; descending: boolean }, key: string): 'ascending' | 'descending' | 'none' {
  if (current.sort !== key) return 'none';
  return current.descending ? 'descending' : 'ascending';
}

/** The statuses a user outside the trash can have, with Duo's labels, for the status filter. */
export const STATUS_CHOICES: { value: UserStatus; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'bypass', label: 'Bypass' },
  { value: 'disabled', label: 'Disabled' },
  { value: 'locked out', label: 'Locked out' },
];

/** A group's statuses (Duo's group status, which applies to its members), with Duo's labels. */
export const GROUP_STATUS_CHOICES: { value: GroupStatus; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'bypass', label: 'Bypass' },
  { value: 'disabled', label: 'Disabled' },
];

/** The "Managed by" filter's choices: anyone, added by hand, then each user sync by name. */
export function managedChoices(syncs: readonly DirectorySummary[]): { value: string; label: string }[] {
  return [
    { value: '', label: 'Any sync or none' },
    { value: BY_HAND, label: 'Added by hand' },
    ...syncs
      .filter((d) => d.sync_type === 'user')
      .map((d) => ({ value: d.directory_key, label: d.name }))
      .sort((a, b) => a.label.localeCompare(b.label)),
  ];
}

/** Whole days until `purgeAt` (0 on the last day), for the trash's "days left". */
export function daysLeft(purgeAt: string, now: Date): number {
  const ms = new Date(purgeAt).getTime() - now.getTime();
  return Math.max(0, Math.ceil(ms / 86_400_000));
}

export function daysLeftText(purgeAt: string | null, now: Date): string {
  if (!purgeAt) return 'not scheduled';
  const n = daysLeft(purgeAt, now);
  if (n === 0) return 'deleted today';
  return n === 1 ? '1 day left' : `${n} days left`;
}
