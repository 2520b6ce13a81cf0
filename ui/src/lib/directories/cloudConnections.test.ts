import { beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../backend/backend';
import { MockBackend } from '../backend/mock';
import { toUserError } from '../error/userError';
import {
  isCloudConnection,
  loadCloudConnections,
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
    expect(toCloudConnectionView(conn({ status: 'needs_credentials' })).explanation).toMatch(/OS keychain/);
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
