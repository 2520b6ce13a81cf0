import { beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../backend/backend';
import { MockBackend } from '../backend/mock';
import { toUserError } from '../error/userError';
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
import { buildSyncSpec, toggleGroup, setRole } from './cloudForm';

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
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
    const list = await loadCloudConnections(backend);
    expect(list.map((c) => c.id)).toEqual(['conn-google', 'conn-entra', 'conn-okta']);
    expect(list.every(isCloudConnection)).toBe(true);
    const updated: ConnectionInfo = { ...list[0], status: 'ready' };
    expect(replaceConnection(list, updated)[0].status).toBe('ready');
  });
});

describe('cloud connections in the mock backend', () => {
  it('a demo sign-in is listed even before any sync uses it, and its groups have ids and member counts', async () => {
    const c = await backend.connection_authorize({ connection: { kind: 'entra', demo: true } });
    expect((await loadCloudConnections(backend)).some((x) => x.id === c.id && x.used_by.length === 0)).toBe(true);
    const groups = await backend.connection_groups({ id: c.id, query: 'eng', limit: 50 });
    expect(groups.map((g) => g.name)).toEqual(['Engineering', 'Engineering - Platform']);
    expect(groups[0].external_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(groups[0].member_count).toBe(412);
    const okta = await backend.connection_authorize({ connection: { kind: 'okta', demo: true } });
    expect((await backend.connection_groups({ id: okta.id, query: '', limit: 3 }))[0].external_id).toMatch(/^00g[0-9A-Za-z]{17}$/);
  });

  it('never returns the client secret', async () => {
    const c = await backend.connection_authorize({
      connection: {
        kind: 'google',
        client_id: '1-abc.apps.googleusercontent.com',
        client_secret: 'GOCSPX-secret',
        domain: 'globex.example',
      },
    });
    expect(JSON.stringify(await backend.connection_list())).not.toContain('GOCSPX-secret');
    expect(c).toMatchObject({ name: 'globex.example', authorized_by: 'superadmin@globex.example' });
  });

  it('adds user and admin syncs over a signed-in connection, by group id', async () => {
    const c = await backend.connection_authorize({ connection: { kind: 'okta', demo: true } });
    const [eng] = await backend.connection_groups({ id: c.id, query: 'Engineering', limit: 5 });
    const [admins] = await backend.connection_groups({ id: c.id, query: 'Roster Admins', limit: 5 });
    const user = buildSyncSpec(c, { name: 'Okta users', type: 'user', groups: toggleGroup([], eng) });
    if (!('spec' in user)) throw new Error('expected a spec');
    const { directory_key } = await backend.directory_add({ spec: user.spec });
    const admin = buildSyncSpec(c, { name: 'Okta admins 2', type: 'admin', groups: setRole(toggleGroup([], admins), admins.external_id, 'Administrator') });
    if (!('spec' in admin)) throw new Error('expected a spec');
    await backend.directory_add({ spec: admin.spec });
    const dirs = await backend.directory_list();
    expect(dirs.find((d) => d.directory_key === directory_key)).toMatchObject({
      connection: { id: c.id, kind: 'okta', name: 'Okta (demo)' },
      groups: ['Engineering'],
      username_attribute: 'login',
    });
    expect(dirs.find((d) => d.name === 'Okta admins 2')?.groups).toEqual(['Roster Admins → Administrator']);
    expect((await backend.connection_list()).find((x) => x.id === c.id)?.used_by).toEqual(['Okta users', 'Okta admins 2']);
    const report = await backend.sync_run({ key: directory_key, dry_run: false, approve: false });
    expect(report.outcome).toBe('succeeded');
    expect(report.counts.created).toBeGreaterThan(0);
  });

  it('refuses unknown connections and groups with a message that says what to do', async () => {
    const err = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => toUserError(e));
    expect(await err(backend.directory_add({ spec: { name: 'X', type: 'user', connection: 'nope', groups: ['a'] } }))).toMatchObject({
      code: 'not_found',
      message: 'There is no saved connection with the id nope. Sign in again to create it.',
    });
    expect((await err(backend.directory_add({ spec: { name: 'X', type: 'user', connection: 'conn-okta', groups: ['00gNOPE'] } })))?.message).toMatch(
      /was not found in acme\.okta\.example\. Choose the groups with the group picker/,
    );
    expect((await err(backend.connection_authorize({ connection: { kind: 'okta', org_url: 'acme.okta.com', client_id: 'x' } })))?.code).toBe(
      'validation',
    );
  });

  it('a sync over a revoked sign-in fails until the connection is reauthorized', async () => {
    const failed = await backend.sync_run({ key: 'google-staff', dry_run: false, approve: false });
    expect(failed.outcome).toBe('failed');
    expect(failed.message).toMatch(/revoked or has expired.*Reauthorize the connection/);
    expect(toUserError(await backend.connection_groups({ id: 'conn-google', query: '', limit: 5 }).catch((e: unknown) => e)).code).toBe(
      'consent_required',
    );
    await backend.connection_reauthorize({ id: 'conn-google' });
    const ok = await backend.sync_run({ key: 'google-staff', dry_run: false, approve: false });
    expect(ok.outcome).toBe('succeeded');
    expect((await backend.connection_groups({ id: 'conn-google', query: 'office', limit: 5 })).map((g) => g.name)).toEqual([
      'Berlin office',
      'London office',
      'New York office',
    ]);
  });

  it('has nothing to reauthorize for an LDAP connection, and cancelling with nothing pending is harmless', async () => {
    const e = await backend.connection_reauthorize({ id: 'conn-ad' }).catch((x: unknown) => toUserError(x));
    expect(e).toMatchObject({ code: 'validation' });
    expect(await backend.consent_cancel()).toBeNull();
  });
});

describe('the Connections list', () => {
  it('lists cloud and LDAP connections, those needing attention first, and no demo directories', async () => {
    await backend.tenant_switch({ id: (await backend.tenant_list()).find((t) => t.name === 'Globex')!.id });
    const globex = await loadConnections(backend);
    expect(globex.map((c) => [c.kind, c.status])).toEqual([['openldap', 'needs_credentials']]);
    const acme = (await backend.tenant_list()).find((t) => t.name === 'Acme Corp')!;
    await backend.tenant_switch({ id: acme.id });
    const list = await loadConnections(backend);
    expect(list[0]).toMatchObject({ id: 'conn-google', status: 'needs_reauthorization' });
    expect(list.map((c) => c.kind).sort()).toEqual(['active_directory', 'entra', 'google', 'okta']);
  });

  it('offers the secret the backend can take again: a bind password with a bind DN, a Google client secret', () => {
    const ldap = (config: Record<string, unknown>, status: ConnectionInfo['status'] = 'ready'): ConnectionInfo => ({
      id: 'conn-ldap',
      kind: 'openldap',
      name: 'ldap.example.org',
      config,
      status,
      authorized_by: null,
      authorized_at: null,
      used_by: ['Staff'],
    });
    expect(secretOf(ldap({ bind_dn: 'cn=roster,dc=example,dc=org' }))).toBe('bind password');
    expect(secretOf(ldap({}))).toBeNull(); // anonymous bind
    expect(secretOf(ldap({ bind_dn: 'cn=x', bind_method: 'kerberos' }))).toBeNull();
    expect(secretOf(conn({ kind: 'google', config: {} }))).toBe('client secret');
    expect(secretOf(conn({ kind: 'google', config: { demo: true } }))).toBeNull();
    expect(secretOf(conn({ kind: 'okta' }))).toBeNull();

    const ready = toConnectionView(ldap({ bind_dn: 'cn=roster,dc=example,dc=org' }));
    expect(ready).toMatchObject({
      vendor: 'OpenLDAP',
      detail: 'Signs in as cn=roster,dc=example,dc=org',
      badge: { label: 'Ready', tone: 'green' },
      secret: 'bind password',
      secretNeeded: false,
      explanation: null,
    });
    const needs = toConnectionView(ldap({ bind_dn: 'cn=roster,dc=example,dc=org' }, 'needs_credentials'));
    expect(needs).toMatchObject({ badge: { label: 'Needs bind password', tone: 'orange' }, attention: true, secretNeeded: true });
    expect(needs.explanation).toBe(
      "Roster doesn't have this connection's bind password (a tenant import never carries secrets, or it was removed from " +
        'the keychain). The directory sync “Staff” will fail until you enter it again below.',
    );
    // A Google connection offers its client secret only when it needs it; a ready one signs in as it is.
    expect(toConnectionView(conn({ kind: 'google', config: {} })).secret).toBeNull();
    expect(toConnectionView(conn({ kind: 'google', config: {}, status: 'needs_credentials' }))).toMatchObject({
      secret: 'client secret',
      secretNeeded: true,
    });
  });

  it('enters a bind password again: the connection is ready, and a run works again', async () => {
    await backend.tenant_switch({ id: (await backend.tenant_list()).find((t) => t.name === 'Globex')!.id });
    const failed = await backend.sync_run({ key: 'globex-ldap', dry_run: false, approve: false });
    expect(failed.outcome).toBe('failed');
    expect(failed.message).toMatch(/Enter it again: in the app, Connections → Enter bind password/);
    await expect(enterSecret(backend, 'conn-ldap', '')).rejects.toMatchObject({ code: 'validation' });
    const updated = await enterSecret(backend, 'conn-ldap', 'n3w-secret');
    expect(updated.status).toBe('ready');
    expect(JSON.stringify(updated)).not.toContain('n3w-secret');
    const ok = await backend.sync_run({ key: 'globex-ldap', dry_run: false, approve: false });
    expect(ok.outcome).toBe('succeeded');
  });
});
