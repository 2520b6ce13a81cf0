import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Connection } from '../backend/backend';
import { RECORDING, recorded, refusal, replay, useRecordedKinds } from '../backend/testing';
import {
  enterSecret,
  isCloudConnection,
  loadCloudConnections,
  loadConnections,
  secretOf,
  toConnectionView,
  noteAfter,
  noteFor,
  replaceConnection,
  toCloudConnectionView,
  type CloudConnectionInfo,
} from './cloudConnections';

beforeAll(() => {
  useRecordedKinds();
});

function conn(over: Partial<CloudConnectionInfo> = {}): CloudConnectionInfo {
  return {
    id: 'conn-okta',
    kind: 'okta',
    name: 'acme.okta.com',
    config: { org_url: 'https://acme.okta.com' },
    status: 'ready',
    authorized_by: 'root@acme.example',
    authorized_at: '2026-11-19T10:00:00Z',
    used_by: ['Okta admins'],
    secret: null,
    ...over,
  };
}

describe('notes about a connection', () => {
  it('belong to the state the action left it in: a later change of state drops them', () => {
    const reauthorized = conn({ status: 'ready', authorized_at: '2026-11-28T20:00:00Z' });
    const note = noteAfter(reauthorized, 'Reauthorized.');
    expect(noteFor(note, reauthorized)).toBe('Reauthorized.');
    expect(noteFor(note, { ...reauthorized, used_by: ['Another sync'] })).toBe('Reauthorized.');
    // Revoked again (a run found the sign-in refused): the card needs reauthorization, and says only that.
    expect(noteFor(note, conn({ status: 'needs_reauthorization', authorized_at: '2026-11-28T20:00:00Z' }))).toBeNull();
    // Someone reauthorized it again elsewhere: not this window's note any more.
    expect(noteFor(note, conn({ status: 'ready', authorized_at: '2026-11-29T08:00:00Z' }))).toBeNull();
    expect(noteFor(note, conn({ id: 'conn-other' }))).toBeNull();
    expect(noteFor(null, reauthorized)).toBeNull();
  });
});

describe('cloud connection views', () => {
  it('says who authorized it and when', () => {
    const v = toCloudConnectionView(conn(), 'UTC');
    expect(v).toMatchObject({
      vendor: 'Okta',
      name: 'acme.okta.com',
      authorized: 'Authorized by root@acme.example on Nov 19, 2026',
      badge: { label: 'Authorized', tone: 'green' },
      attention: false,
      explanation: null,
      usedBy: 'Used by Okta admins',
    });
    expect(v.authorizedTitle).toMatch(/Nov 19, 2026, 10:00/);
    expect(toCloudConnectionView(conn({ authorized_by: null, authorized_at: null, used_by: [] })).authorized).toBe('Not authorized yet');
    expect(toCloudConnectionView(conn({ used_by: [] })).usedBy).toBe('Not used by any directory sync yet');
    expect(toCloudConnectionView(conn({ kind: 'entra', config: { demo: true } })).vendor).toBe('Entra ID (demo)');
  });

  it('makes a revoked or expired sign-in prominent, and says what to do', () => {
    const v = toCloudConnectionView(conn({ kind: 'google', status: 'needs_reauthorization', used_by: ['Google staff'] }));
    expect(v.badge).toEqual({ label: 'Needs reauthorization', tone: 'red' });
    expect(v.attention).toBe(true);
    expect(v.explanation).toBe(
      'The sign-in to Google Workspace was revoked or has expired. The directory sync “Google staff” will fail until you ' +
        'reauthorize: choose Reauthorize and approve Roster again in your browser, as an administrator.',
    );
    expect(toCloudConnectionView(conn({ status: 'needs_credentials' })).explanation).toMatch(/a tenant import never carries secrets/);
  });

  it('loads only cloud connections, those needing attention first', async () => {
    const revoked = conn({ id: 'conn-revoked', status: 'needs_reauthorization' });
    const listed = [...recorded<Connection[]>('connection_list', 1), revoked];
    const backend = { connection_list: async () => listed } as unknown as Backend;
    const list = await loadCloudConnections(backend);
    expect(list.map((c) => c.id)).toEqual(['conn-revoked', ...listed.filter((c) => c.kind === 'entra').map((c) => c.id)]);
    expect(list.every((c) => isCloudConnection(c))).toBe(true);
    const updated: Connection = { ...list[0], status: 'ready' };
    expect(replaceConnection(list, updated)[0].status).toBe('ready');
  });
});

describe('the Connections list', () => {
  it('lists cloud and LDAP connections, not built-in demo directories', async () => {
    const backend = replay();
    expect(await loadConnections(backend)).toEqual([]); // the demo tenant starts with its demo directory only
    const i = RECORDING.calls.findIndex((c) => c.cmd === 'connection_authorize');
    const list = await loadConnections(replay().from(i + 1));
    expect(list.map((c) => c.kind)).toEqual(['entra']);
  });

  it('offers the secret the backend says the connection takes again', () => {
    const ldap = (secret: string | null, status: Connection['status'] = 'ready'): Connection => ({
      id: 'conn-ldap',
      kind: 'openldap',
      name: 'ldap.example.org',
      config: { bind_dn: 'cn=roster,dc=example,dc=org' },
      status,
      authorized_by: null,
      authorized_at: null,
      used_by: ['Staff'],
      secret,
    });
    expect(secretOf(ldap('bind password'))).toBe('bind password');
    expect(secretOf(ldap(null))).toBeNull();

    const ready = toConnectionView(ldap('bind password'));
    expect(ready).toMatchObject({
      vendor: 'OpenLDAP',
      detail: 'Signs in as cn=roster,dc=example,dc=org',
      badge: { label: 'Ready', tone: 'green' },
      secret: 'bind password',
      secretNeeded: false,
      explanation: null,
    });
    const needs = toConnectionView(ldap('bind password', 'needs_credentials'));
    expect(needs).toMatchObject({ badge: { label: 'Needs bind password', tone: 'orange' }, attention: true, secretNeeded: true });
    expect(needs.explanation).toBe(
      "Roster doesn't have this connection's bind password (a tenant import never carries secrets, or it was removed from " +
        'the keychain). The directory sync “Staff” will fail until you enter it again below.',
    );
    // A Google connection offers its client secret only when it needs it; a ready one signs in as it is.
    expect(toConnectionView(conn({ kind: 'google', config: {}, secret: 'client secret' })).secret).toBeNull();
    expect(toConnectionView(conn({ kind: 'google', config: {}, secret: 'client secret', status: 'needs_credentials' }))).toMatchObject({
      secret: 'client secret',
      secretNeeded: true,
    });
  });

  it('sends a secret to the backend and passes its refusal on', async () => {
    const demo = recorded<Connection[]>('connection_list')[0];
    await expect(enterSecret(replay(), demo.id, 'x')).rejects.toEqual(refusal('connection_set_secret'));
  });
});
