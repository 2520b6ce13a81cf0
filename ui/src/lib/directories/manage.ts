// "Manage User Sync" and "Admin Directory Sync": which tab a path opens, what deleting a sync may offer
// for its connection, and what a connection's row shows. The backend decides and refuses; this only
// words what it answered (Connection.used_by, DirectorySummary.connection, the kinds registry).

import type { ActingAs, Connection, ConnectionKind, ConnectionKindInfo, DirectorySummary, Permission, SyncType } from '../backend/backend';
import { formatAbsolute, formatRelative, listText, truncateList, type Tone } from '../format';
import { kindInfo, shortName } from '../kinds.svelte';

/** The tabs of Users → Directory Sync, by the path after `#/directories`. */
/** What "Add New Sync" has open: the chooser, or the form of the kind chosen. */
export type Adding = { step: 'choose' } | { step: 'ldap' | 'cloud' | 'demo'; kind: ConnectionKind } | null;

export type UserSyncTab = 'syncs' | 'integrations';

/** What the path after `#/directories` opens: a tab, a sync's page or a SCIM integration's page. */
export type UserSyncPage =
  | { kind: 'tab'; tab: UserSyncTab }
  | { kind: 'sync'; key: string }
  | { kind: 'integration'; key: string };

export function userSyncPage(rest: readonly string[]): UserSyncPage {
  if (rest[0] === 'integrations') return rest[1] ? { kind: 'integration', key: rest[1] } : { kind: 'tab', tab: 'integrations' };
  if (rest[0]) return { kind: 'sync', key: rest[0] };
  return { kind: 'tab', tab: 'syncs' };
}

/** The tabs of Administrators → Admin Directory Sync. */
export type AdminSyncPage = { kind: 'tab'; tab: 'syncs' | 'connections' } | { kind: 'sync'; key: string };

export function adminSyncPage(rest: readonly string[]): AdminSyncPage {
  if (rest[0] === 'connections') return { kind: 'tab', tab: 'connections' };
  if (rest[0]) return { kind: 'sync', key: rest[0] };
  return { kind: 'tab', tab: 'syncs' };
}

/** Whether the acting operator's role allows `p`, as the backend listed it (`acting_as`). */
export function allows(acting: ActingAs | null, p: Permission): boolean {
  return acting?.permissions.includes(p) ?? false;
}

/** The kinds the chooser offers for a sync type, grouped as the seed lists them (on-premises, cloud, SCIM, demos). */
export function chooserKinds(type: SyncType, list: readonly ConnectionKindInfo[]): ConnectionKindInfo[] {
  const order = { ldap: 0, cloud: 1, inbound: 2, builtin: 3 } as const;
  return list
    .filter((k) => k.available && (type === 'user' ? k.user_syncs || k.access === 'inbound' : k.admin_syncs))
    .sort((a, b) => order[a.access] - order[b.access]);
}

/** What deleting a sync can do with its connection. */
export interface DeleteChoice {
  /** The connection's name ("ldap.acme.test"), if the window has it. */
  connectionName: string;
  /** The other syncs using the connection: it stays while there are any. */
  others: string[];
  /** Offer "Delete Directory Sync and Connection": this is the last sync on the connection. */
  offerConnection: boolean;
}

export function deleteChoice(d: DirectorySummary, connections: readonly Connection[]): DeleteChoice {
  const c = connections.find((x) => x.id === d.connection.id);
  const others = (c?.used_by ?? []).filter((n) => n !== d.name);
  return { connectionName: c?.name ?? d.connection.name, others, offerConnection: c !== undefined && others.length === 0 };
}

/** Whether a connection's trash icon works, and if not, why (its tooltip). */
export function connectionDeletable(c: Connection): { deletable: boolean; reason: string } {
  if (c.used_by.length === 0) return { deletable: true, reason: `Delete the connection “${c.name}”` };
  const which = c.used_by.length === 1 ? `the directory sync “${c.used_by[0]}”` : `the directory syncs ${listText(c.used_by.map((n) => `“${n}”`), 'and')}`;
  return { deletable: false, reason: `In use by ${which}: delete ${c.used_by.length === 1 ? 'that sync' : 'those syncs'} first.` };
}

/** An on-premises (LDAP) connection's row. */
export interface OnPremView {
  id: string;
  name: string;
  kind: string;
  status: { label: string; tone: Tone };
  /** The last error of a sync using it, when its last run failed. */
  lastError: string | null;
  baseDn: string;
  servers: string;
  /** "User sync", "Admin sync", "User and admin syncs", "Not used". */
  syncType: string;
  usedBy: string;
}

function syncTypesOf(c: Connection, directories: readonly DirectorySummary[]): SyncType[] {
  const types = new Set(directories.filter((d) => d.connection.id === c.id).map((d) => d.sync_type));
  return (['user', 'admin'] as const).filter((t) => types.has(t));
}

export function syncTypeText(types: readonly SyncType[]): string {
  if (types.length === 2) return 'User and admin syncs';
  if (types[0] === 'admin') return 'Admin sync';
  if (types[0] === 'user') return 'User sync';
  return 'Not used';
}

/** The newest failure of the syncs on a connection, if their newest run failed. */
function lastErrorOf(c: Connection, directories: readonly DirectorySummary[]): string | null {
  const runs = directories
    .filter((d) => d.connection.id === c.id && d.last_run)
    .map((d) => d.last_run!)
    .sort((a, b) => b.started_at.localeCompare(a.started_at));
  const last = runs[0];
  return last && last.outcome === 'failed' ? (last.message ?? 'The last sync failed.') : null;
}

export function toOnPremView(c: Connection, directories: readonly DirectorySummary[], list?: readonly ConnectionKindInfo[]): OnPremView {
  const cfg = (c.config ?? {}) as Record<string, unknown>;
  const servers = Array.isArray(cfg.servers) ? cfg.servers.filter((s): s is string => typeof s === 'string') : [];
  const lastError = lastErrorOf(c, directories);
  const status =
    c.status === 'needs_credentials'
      ? { label: 'Needs its password', tone: 'orange' as Tone }
      : lastError
        ? { label: 'Failing', tone: 'red' as Tone }
        : { label: 'Connected', tone: 'green' as Tone };
  return {
    id: c.id,
    name: c.name,
    kind: shortName(c.kind, list),
    status,
    lastError,
    baseDn: typeof cfg.base_dn === 'string' ? cfg.base_dn : '',
    servers: servers.join(', '),
    syncType: syncTypeText(syncTypesOf(c, directories)),
    usedBy: c.used_by.length ? `Used by ${truncateList(c.used_by)}` : 'Not used by any directory sync',
  };
}

/** A cloud connection's row: service, status, who authorized it and when. */
export interface CloudView {
  id: string;
  name: string;
  service: string;
  status: { label: string; tone: Tone };
  authorizedBy: string;
  authorizedAt: { relative: string; absolute: string } | null;
  syncType: string;
}

export function toCloudView(c: Connection, directories: readonly DirectorySummary[], now: Date, list?: readonly ConnectionKindInfo[]): CloudView {
  const demo = (c.config as Record<string, unknown> | null)?.demo === true;
  const info = kindInfo(c.kind, list);
  const service = demo ? (info?.demo_name ?? `${shortName(c.kind, list)} (demo)`) : shortName(c.kind, list);
  const status =
    c.status === 'ready'
      ? { label: 'Authorized', tone: 'green' as Tone }
      : c.status === 'needs_reauthorization'
        ? { label: 'Needs reauthorization', tone: 'red' as Tone }
        : { label: 'Needs credentials', tone: 'orange' as Tone };
  return {
    id: c.id,
    name: c.name,
    service,
    status,
    authorizedBy: c.authorized_by?.trim() || 'Not authorized yet',
    authorizedAt: c.authorized_at ? { relative: formatRelative(c.authorized_at, now), absolute: formatAbsolute(c.authorized_at) } : null,
    syncType: syncTypeText(syncTypesOf(c, directories)),
  };
}

/** A connection's row on Admin Directory Sync's "Connections" tab: service, servers, how many syncs use it. */
export function connectionUse(c: Connection): string {
  return c.used_by.length === 1 ? '1 sync' : `${c.used_by.length} syncs`;
}
