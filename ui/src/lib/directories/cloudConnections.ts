// The "Cloud connections" list: saved Entra ID, Google Workspace and Okta connections, who authorized them
// and when, and whether they must be reauthorized before their directory syncs can work again.

import type { Backend, CloudKind, ConnectionInfo, ConnectionStatus } from '../backend/backend';
import { formatAbsolute, formatDate, truncateList, type Tone } from '../format';
import { isCloudKind, vendorLabel } from './cloudForm';

export type CloudConnectionInfo = ConnectionInfo & { kind: CloudKind };

export function isCloudConnection(c: ConnectionInfo): c is CloudConnectionInfo {
  return isCloudKind(c.kind);
}

/** True for a connection to a vendor's built-in offline emulator. */
export function isDemoConnection(c: ConnectionInfo): boolean {
  return c.config?.demo === true;
}

export const CONNECTION_STATUS_BADGES: Record<ConnectionStatus, { label: string; tone: Tone }> = {
  ready: { label: 'Authorized', tone: 'green' },
  needs_reauthorization: { label: 'Needs reauthorization', tone: 'red' },
  needs_credentials: { label: 'Needs credentials', tone: 'orange' },
};

export interface CloudConnectionView {
  id: string;
  vendor: string;
  name: string;
  /** "Authorized by root@acme.example on Nov 19, 2026". */
  authorized: string;
  /** The full time, for a tooltip. */
  authorizedTitle: string | null;
  badge: { label: string; tone: Tone };
  /** The connection can't be used until someone signs in again. */
  attention: boolean;
  /** Why, and what to do (null when it is fine). */
  explanation: string | null;
  usedBy: string;
}

function syncsText(usedBy: readonly string[]): string {
  if (usedBy.length === 0) return 'Directory syncs using it';
  if (usedBy.length === 1) return `The directory sync “${usedBy[0]}”`;
  return `Its directory syncs (${truncateList(usedBy.map((n) => `“${n}”`))})`;
}

export function toCloudConnectionView(c: CloudConnectionInfo, timeZone?: string): CloudConnectionView {
  const vendor = vendorLabel(c.kind, isDemoConnection(c));
  const by = c.authorized_by?.trim();
  const authorized = by
    ? c.authorized_at
      ? `Authorized by ${by} on ${formatDate(c.authorized_at, timeZone)}`
      : `Authorized by ${by}`
    : c.authorized_at
      ? `Authorized on ${formatDate(c.authorized_at, timeZone)}`
      : 'Not authorized yet';
  let explanation: string | null = null;
  if (c.status === 'needs_reauthorization') {
    explanation =
      `The sign-in to ${vendor} was revoked or has expired. ${syncsText(c.used_by)} will fail until you reauthorize: ` +
      'choose Reauthorize and approve Roster again in your browser, as an administrator.';
  } else if (c.status === 'needs_credentials') {
    explanation =
      `Roster can't find this connection's saved sign-in in the OS keychain (for example after moving to another computer). ` +
      `${syncsText(c.used_by)} will fail until you reauthorize it.`;
  }
  return {
    id: c.id,
    vendor,
    name: c.name,
    authorized,
    authorizedTitle: c.authorized_at ? formatAbsolute(c.authorized_at, timeZone) : null,
    badge: CONNECTION_STATUS_BADGES[c.status] ?? { label: c.status, tone: 'grey' },
    attention: c.status !== 'ready',
    explanation,
    usedBy: c.used_by.length ? `Used by ${truncateList(c.used_by)}` : 'Not used by any directory sync yet',
  };
}

/** The cloud connections, those needing attention first, then by vendor and name. */
export async function loadCloudConnections(backend: Backend): Promise<CloudConnectionInfo[]> {
  const list = (await backend.connection_list()).filter(isCloudConnection);
  return list.sort(
    (a, b) =>
      Number(b.status !== 'ready') - Number(a.status !== 'ready') ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
}

/** Replaces one connection (after reauthorizing) without reloading the list. */
export function replaceConnection(list: CloudConnectionInfo[], updated: ConnectionInfo): CloudConnectionInfo[] {
  return list.map((c) => (c.id === updated.id && isCloudConnection(updated) ? updated : c));
}
