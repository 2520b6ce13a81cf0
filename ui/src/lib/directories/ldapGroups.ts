// The LDAP wizard's group picker, without the UI: selecting and unselecting groups by DN (compared
// case-insensitively), the role each gives in an admin sync, and the member count in words.

import type { AdminRole, GroupSummary } from '../backend/backend';
import { plural } from '../format';
import type { PickedGroup } from './ldapForm';

export function isPicked(groups: readonly PickedGroup[], dn: string): boolean {
  return groups.some((g) => sameDn(g.dn, dn));
}

/** DNs compare case-insensitively. */
export function sameDn(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Selects a search result, or unselects it when it is already selected. */
export function toggleGroup(groups: readonly PickedGroup[], g: GroupSummary): PickedGroup[] {
  if (isPicked(groups, g.external_id)) return removeGroup(groups, g.external_id);
  return [...groups, { dn: g.external_id, name: g.name, member_count: g.member_count, role: '' }];
}

export function removeGroup(groups: readonly PickedGroup[], dn: string): PickedGroup[] {
  return groups.filter((g) => !sameDn(g.dn, dn));
}

export function setRole(groups: readonly PickedGroup[], dn: string, role: AdminRole | ''): PickedGroup[] {
  return groups.map((g) => (sameDn(g.dn, dn) ? { ...g, role } : g));
}

export function memberCountText(n: number | null): string {
  return n === null ? 'Member count unknown' : plural(n, 'member');
}
