// The "Cloud connections" list: saved Entra ID, Google Workspace and Okta connections, who authorized them
// and when, and whether they must be reauthorized before their directory syncs can work again.

import type { Backend, Connection, ConnectionKindInfo, ConnectionStatus } from '../backend/backend';
import { formatAbsolute, formatDate, truncateList, type Tone } from '../format';
import { kindInfo, shortName } from '../kinds.svelte';
import { vendorLabel } from './cloudForm';

/** A connection whose kind signs in through the browser. */
export type CloudConnectionInfo = Connection;

export function isCloudConnection(c: Connection, list?: readonly ConnectionKindInfo[]): boolean {
  return kindInfo(c.kind, list)?.access === 'cloud';
}

/** True for a connection to a vendor's built-in offline emulator. */
export function isDemoConnection(c: Connection): boolean {
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

export function toCloudConnectionView(
  c: CloudConnectionInfo,
  timeZone?: string,
  list?: readonly ConnectionKindInfo[],
): CloudConnectionView {
  const info = kindInfo(c.kind, list);
  const vendor = info ? vendorLabel(info, isDemoConnection(c)) : c.kind;
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
      `Roster doesn't have this connection's saved sign-in (a tenant import never carries secrets, or it was removed ` +
      `from the keychain). ${syncsText(c.used_by)} will fail until you reauthorize it.`;
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
  const list = (await backend.connection_list()).filter((c) => isCloudConnection(c));
  return list.sort(
    (a, b) =>
      Number(b.status !== 'ready') - Number(a.status !== 'ready') ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
}

/** Replaces one connection (after reauthorizing) without reloading the list. */
export function replaceConnection(list: CloudConnectionInfo[], updated: Connection): CloudConnectionInfo[] {
  return list.map((c) => (c.id === updated.id ? updated : c));
}

/** A note about something just done to a connection ("Reauthorized…"), and the state it left it in. */
export interface ConnectionNote {
  id: string;
  status: ConnectionStatus;
  authorized_at: string | null;
  text: string;
}

/** The note for a connection as an action left it. */
export function noteAfter(c: Connection, text: string): ConnectionNote {
  return { id: c.id, status: c.status, authorized_at: c.authorized_at, text };
}

/**
 * The note's text, while the connection is still as the action left it: once its status or sign-in changed
 * (revoked again, reauthorized elsewhere), the note would contradict the card, so it goes.
 */
export function noteFor(note: ConnectionNote | null, c: Connection): string | null {
  if (!note || note.id !== c.id || note.status !== c.status || note.authorized_at !== c.authorized_at) return null;
  return note.text;
}

// ---------- the Connections list: cloud and LDAP connections ----------

/**
 * Connections the list shows: those with a sign-in or a secret to look after (signed in to through the
 * browser, or LDAP servers), not built-in demo directories or inbound integrations.
 */
export function isListedConnection(c: Connection, list?: readonly ConnectionKindInfo[]): boolean {
  const access = kindInfo(c.kind, list)?.access;
  return access === 'cloud' || access === 'ldap';
}

/**
 * The secret a connection keeps that the admin can enter again, in words ("bind password"), if any: the
 * backend says which (`Connection.secret`), and `connection_set_secret` takes it.
 */
export function secretOf(c: Connection): string | null {
  return c.secret;
}

export interface ConnectionView {
  id: string;
  /** "Okta", "Entra ID (demo)", "Active Directory". */
  vendor: string;
  name: string;
  cloud: boolean;
  /** Cloud: who authorized it and when. LDAP: how it signs in. */
  detail: string;
  detailTitle: string | null;
  badge: { label: string; tone: Tone };
  attention: boolean;
  /** Why it needs attention, and what to do (null when it is fine). */
  explanation: string | null;
  usedBy: string;
  /** The secret that can be entered again here, in words, if any. */
  secret: string | null;
  /** The secret field shows without asking: the connection can't work without it. */
  secretNeeded: boolean;
}

export function toConnectionView(c: Connection, timeZone?: string, list?: readonly ConnectionKindInfo[]): ConnectionView {
  const secret = secretOf(c);
  if (isCloudConnection(c, list)) {
    const v = toCloudConnectionView(c, timeZone, list);
    const secretNeeded = secret !== null && c.status === 'needs_credentials';
    return {
      id: v.id,
      vendor: v.vendor,
      name: v.name,
      cloud: true,
      detail: v.authorized,
      detailTitle: v.authorizedTitle,
      badge: v.badge,
      attention: v.attention,
      explanation: secretNeeded
        ? `Roster doesn't have this connection's ${secret} or sign-in (a tenant import never carries secrets, or ` +
          `they were removed from the keychain). ${syncsText(c.used_by)} will fail until you enter the ${secret} ` +
          'below and then choose Reauthorize.'
        : v.explanation,
      usedBy: v.usedBy,
      secret: secretNeeded ? secret : null,
      secretNeeded,
    };
  }
  const dn = typeof c.config?.bind_dn === 'string' ? c.config.bind_dn : '';
  const detail =
    c.config?.bind_method === 'kerberos' ? 'Signs in with Kerberos' : dn ? `Signs in as ${dn}` : 'Anonymous bind';
  const needs = c.status === 'needs_credentials';
  return {
    id: c.id,
    vendor: shortName(c.kind, list),
    name: c.name,
    cloud: false,
    detail,
    detailTitle: null,
    badge: needs ? { label: `Needs ${secret ?? 'credentials'}`, tone: 'orange' } : c.status === 'ready' ? { label: 'Ready', tone: 'green' } : (CONNECTION_STATUS_BADGES[c.status] ?? { label: c.status, tone: 'grey' }),
    attention: c.status !== 'ready',
    explanation: needs
      ? `Roster doesn't have this connection's ${secret ?? 'secret'} (a tenant import never carries secrets, or it was removed ` +
        `from the keychain). ${syncsText(c.used_by)} will fail until you enter it again below.`
      : null,
    usedBy: c.used_by.length ? `Used by ${truncateList(c.used_by)}` : 'Not used by any directory sync yet',
    secret,
    secretNeeded: needs && secret !== null,
  };
}

/** The connections of the list, those needing attention first, then by kind and name. */
export async function loadConnections(backend: Backend): Promise<Connection[]> {
  const list = (await backend.connection_list()).filter((c) => isListedConnection(c));
  return list.sort(
    (a, b) =>
      Number(b.status !== 'ready') - Number(a.status !== 'ready') ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
}

/**
 * Sends a connection's secret to the backend (to the OS keychain) and returns the updated connection. The
 * secret is only this call's argument: the caller clears its field before calling.
 */
export function enterSecret(backend: Backend, id: string, secret: string): Promise<Connection> {
  return backend.connection_set_secret({ id, secret });
}
