// The Administrators screens: display words for the generated types and the list's paging. Who may do what
// is the backend's (`acting_as`); which roles and statuses exist are the Rust enums', listed here exhaustively
// (a new Rust variant fails the type check until it is added).

import type { AdminRole, AdminStatus, Backend, DirectoryConfig, Operator, OperatorFilter, Page, RunSyncs } from '../backend/backend';

export const OPERATORS_PAGE = 50;

/** Duo's roles, most privileged first (the order Rust declares them). */
const ROLE_ORDER: Record<AdminRole, number> = {
  Owner: 0,
  Administrator: 1,
  'Application Manager': 2,
  'User Manager': 3,
  'Security Analyst': 4,
  'Help Desk': 5,
  Billing: 6,
  'Phishing Manager': 7,
  'Read-only': 8,
};
export const DUO_ROLES = (Object.keys(ROLE_ORDER) as AdminRole[]).sort((a, b) => ROLE_ORDER[a] - ROLE_ORDER[b]);

const STATUS_WORDS: Record<AdminStatus, string> = {
  Active: 'Active',
  Disabled: 'Disabled',
  Expired: 'Expired',
  'Pending Activation': 'Pending Activation',
};
export const ADMIN_STATUSES = Object.keys(STATUS_WORDS) as AdminStatus[];

/** The seed's words for a custom role's two permissions. */
export const DIRECTORY_CONFIG_LABELS: Record<DirectoryConfig, string> = { all: 'All', none: 'None' };
export const RUN_SYNCS_LABELS: Record<RunSyncs, string> = {
  all: 'All user syncs',
  individual: 'Individual users',
  none: 'None',
};

export function defaultFilter(): OperatorFilter {
  return { query: '', status: null, managed: { kind: 'any' }, sort: 'name', descending: false };
}

/** The role an operator has, as the role inputs name it: a custom role's name, else Duo's role. */
export function roleValue(o: Operator): string {
  return o.custom_role ?? o.role;
}

export function managedText(o: Operator): string {
  return o.managed_by ? `Managed by ${o.managed_by}` : 'Added by hand';
}

/** "1–50 of 120", or "No administrators". */
export function rangeText(offset: number, shown: number, total: number | null): string {
  if (shown === 0) return 'No administrators';
  return `${offset + 1}–${offset + shown} of ${total ?? offset + shown}`;
}

export function fetchOperators(backend: Pick<Backend, 'operators_page'>, filter: OperatorFilter, offset: number): Promise<Page<Operator>> {
  return backend.operators_page({ filter, offset, limit: OPERATORS_PAGE });
}

/** The managing-sync filter as a select's value, and back. */
export function managedValue(m: OperatorFilter['managed']): string {
  return m.kind === 'sync' ? `sync:${m.key}` : m.kind;
}
export function managedFromValue(v: string): OperatorFilter['managed'] {
  if (v === 'any' || v === 'by_hand') return { kind: v };
  return { kind: 'sync', key: v.replace(/^sync:/, '') };
}

/** The operator page's address part: emails are keys. */
export function operatorHref(email: string): string {
  return `#/admins/${encodeURIComponent(email)}`;
}
