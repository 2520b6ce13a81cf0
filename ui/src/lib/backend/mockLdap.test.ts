import { beforeEach, describe, expect, it } from 'vitest';
import type { LdapConnectionSpec, LdapDirectorySpec } from './backend';
import { MockBackend } from './mock';
import { serverUrl } from './mockLdap';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

function ad(over: Partial<LdapConnectionSpec> = {}): LdapConnectionSpec {
  return {
    kind: 'active_directory',
    servers: ['ldaps://dc1.samdom.test:636'],
    transport: 'ldaps',
    ca_pem: PEM,
    verify_hostname: true,
    bind_dn: 'SAMDOM\\svc-roster',
    bind_password: 'pw',
    base_dn: 'DC=samdom,DC=test',
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

describe('mock test connection (draft)', () => {
  it('passes all five checks with plausible details', async () => {
    const checks = await backend.connection_test_draft({ connection: ad() });
    expect(checks.map((c) => [c.step, c.ok])).toEqual([
      ['resolve', true],
      ['connect', true],
      ['tls', true],
      ['bind', true],
      ['base_dn', true],
    ]);
    expect(checks[2].detail).toMatch(/subject: CN=dc1\.samdom\.test; issuer: .*SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(checks[3].detail).toBe('bound as SAMDOM\\svc-roster');
    expect(checks.every((c) => c.server === 'ldaps://dc1.samdom.test:636')).toBe(true);
  });

  it('fails at TLS without a CA certificate, and at sign-in with the password "wrong"', async () => {
    const tls = await backend.connection_test_draft({ connection: ad({ ca_pem: undefined }) });
    expect(tls.at(-1)).toMatchObject({ step: 'tls', ok: false });
    expect(tls.at(-1)?.detail).toMatch(/UnknownIssuer/);
    const bind = await backend.connection_test_draft({ connection: ad({ bind_password: 'wrong' }) });
    expect(bind.map((c) => c.step)).toEqual(['resolve', 'connect', 'tls', 'bind']);
    expect(bind.at(-1)).toMatchObject({ step: 'bind', ok: false });
    // Clear transport: no TLS step at all.
    const clear = await backend.connection_test_draft({
      connection: ad({ servers: ['ldap://dc1.samdom.test'], transport: 'clear', ca_pem: undefined, allow_clear_password: true }),
    });
    expect(clear.map((c) => c.step)).toEqual(['resolve', 'connect', 'bind', 'base_dn']);
    expect(clear[0].server).toBe('ldap://dc1.samdom.test:389');
  });

  it('fails over to the next server', async () => {
    const checks = await backend.connection_test_draft({
      connection: ad({ servers: ['ldaps://dc0.samdom.invalid', 'ldaps://dc-down.samdom.test', 'ldaps://dc2.samdom.test'] }),
    });
    expect(checks[0]).toMatchObject({ step: 'resolve', ok: false, server: 'ldaps://dc0.samdom.invalid:636' });
    expect(checks[2]).toMatchObject({ step: 'connect', ok: false });
    expect(checks.at(-1)).toMatchObject({ step: 'base_dn', ok: true, server: 'ldaps://dc2.samdom.test:636' });
  });

  it('rejects invalid settings with the real backend\'s messages', async () => {
    const e = await rejection(backend.connection_test_draft({ connection: ad({ transport: 'starttls' }) }));
    expect(e).toEqual({
      code: 'validation',
      message: 'The server "ldaps://dc1.samdom.test:636" is an ldaps:// address, but the transport is not "ldaps". Make them agree.',
    });
    expect((await rejection(backend.connection_test_draft({ connection: ad({ servers: [] }) }))).message).toMatch(/at least one LDAP server/);
    expect(
      (await rejection(backend.connection_test_draft({ connection: ad({ servers: ['ldap://x'], transport: 'clear' }) }))).message,
    ).toMatch(/allow_clear_password/);
    expect((await rejection(backend.connection_test_draft({ connection: ad({ bind_password: undefined }) }))).message).toMatch(
      /bind_password/,
    );
    const unknown = { ...ad(), colour: 'blue' } as unknown as LdapConnectionSpec;
    expect((await rejection(backend.connection_test_draft({ connection: unknown }))).message).toMatch(/unknown field `colour`/);
  });

  it('normalises server URLs like the connector', () => {
    expect(serverUrl('ldap://dc1', 'ldaps')).toBe('ldaps://dc1:636');
    expect(serverUrl('ldaps://dc1:3269/', 'ldaps')).toBe('ldaps://dc1:3269');
    expect(serverUrl('ldap://dc1', 'starttls')).toBe('ldap://dc1:389');
  });
});

describe('mock Kerberos sign-in', () => {
  // What the wizard sends for Kerberos: no bind DN, no password.
  function kerberos(over: Partial<LdapConnectionSpec> = {}): LdapConnectionSpec {
    const { bind_dn: _dn, bind_password: _pw, ...rest } = ad();
    return { ...rest, bind_method: 'kerberos', ...over };
  }

  it('binds with the ticket, with or without a server name', async () => {
    for (const c of [kerberos(), kerberos({ kerberos_host: 'dc1.samdom.test' }), kerberos({ bind_dn: 'ignored' })]) {
      const checks = await backend.connection_test_draft({ connection: c });
      expect(checks.map((k) => [k.step, k.ok])).toEqual([
        ['resolve', true],
        ['connect', true],
        ['tls', true],
        ['bind', true],
        ['base_dn', true],
      ]);
      expect(checks[3].detail).toBe('bound with the Kerberos ticket');
    }
  });

  it('fails at sign-in when the server name has no service principal', async () => {
    const checks = await backend.connection_test_draft({ connection: kerberos({ kerberos_host: 'unknown.samdom.test' }) });
    expect(checks.map((k) => k.step)).toEqual(['resolve', 'connect', 'tls', 'bind']);
    expect(checks.at(-1)?.ok).toBe(false);
    expect(checks.at(-1)?.detail).toMatch(
      /^Kerberos sign-in to ldap\/unknown\.samdom\.test failed \(Server not found in Kerberos database\)\. .*kinit/,
    );
    const e = await rejection(
      backend.connection_groups_draft({ connection: kerberos({ kerberos_host: 'unknown.samdom.test' }), query: '', limit: 50 }),
    );
    expect(e.code).toBe('unauthorized');
    expect(e.message).toMatch(/^Kerberos sign-in to ldap\/unknown\.samdom\.test failed/);
  });

  it('checks bind_method like serde', async () => {
    const odd = { ...kerberos(), bind_method: 'ntlm' } as unknown as LdapConnectionSpec;
    expect((await rejection(backend.connection_test_draft({ connection: odd }))).message).toBe(
      'The connection settings are not valid: unknown variant `ntlm`, expected `simple` or `kerberos`.',
    );
    // A simple bind still needs the password with a bind DN.
    expect(
      (await rejection(backend.connection_test_draft({ connection: ad({ bind_method: 'simple', bind_password: undefined }) }))).message,
    ).toMatch(/bind_password/);
  });

  it('saves a Kerberos connection without a secret, and tests it', async () => {
    const { directory_key } = await backend.directory_add({
      spec: {
        name: 'Staff',
        type: 'user',
        connection: kerberos({ kerberos_host: 'dc1.samdom.test' }),
        groups: ['CN=Engineering,OU=Groups,DC=samdom,DC=test'],
        attributes: { username: 'sAMAccountName' },
      },
    });
    const d = (await backend.directory_list()).find((x) => x.directory_key === directory_key)!;
    const conn = (await backend.connection_list()).find((c) => c.id === d.connection.id);
    expect(conn?.config).toMatchObject({ bind_method: 'kerberos', kerberos_host: 'dc1.samdom.test' });
    expect('bind_dn' in (conn?.config ?? {})).toBe(false);
    const checks = await backend.connection_test({ id: d.connection.id });
    expect(checks.at(-1)?.ok).toBe(true);
    expect(checks.find((k) => k.step === 'bind')?.detail).toBe('bound with the Kerberos ticket');
  });
});

describe('mock group picker (draft)', () => {
  it('filters a fixed list by name, sorted, with DNs under the base DN', async () => {
    const all = await backend.connection_groups_draft({ connection: ad(), query: '', limit: 50 });
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(all.map((g) => g.name)).toEqual([...all.map((g) => g.name)].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    const admins = await backend.connection_groups_draft({ connection: ad(), query: 'ADMIN', limit: 50 });
    expect(admins.map((g) => g.name)).toEqual(['Domain Admins', 'Duo Admins', 'Enterprise Admins', 'Roster Administrators', 'Schema Admins']);
    expect(admins[0]).toEqual({ external_id: 'CN=Domain Admins,CN=Users,DC=samdom,DC=test', name: 'Domain Admins', member_count: 4 });
    expect(await backend.connection_groups_draft({ connection: ad(), query: 'sales', limit: 2 })).toHaveLength(2);
  });

  it('says why when the directory cannot be used', async () => {
    const e = await rejection(backend.connection_groups_draft({ connection: ad({ bind_password: 'wrong' }), query: '', limit: 50 }));
    expect(e.code).toBe('unauthorized');
    expect((await rejection(backend.connection_groups_draft({ connection: ad({ ca_pem: undefined }), query: '', limit: 50 }))).code).toBe(
      'source_unreachable',
    );
  });
});

describe('mock directory_add with an LDAP spec', () => {
  function spec(over: Partial<LdapDirectorySpec> = {}): LdapDirectorySpec {
    return {
      name: 'Staff',
      type: 'user',
      connection: ad(),
      groups: ['CN=Engineering,OU=Groups,DC=samdom,DC=test'],
      attributes: { username: 'sAMAccountName', email: 'mail' },
      ...over,
    };
  }

  it('adds a directory with the chosen connection kind, groups and username attribute, keeping the password out of the settings', async () => {
    const { directory_key } = await backend.directory_add({ spec: spec({ connection: { ...ad(), kind: 'openldap' }, attributes: { username: 'uid' } }) });
    const d = (await backend.directory_list()).find((x) => x.directory_key === directory_key);
    expect(d?.connection.kind).toBe('openldap');
    expect(d?.connection.name).toBe('ldaps://dc1.samdom.test:636');
    expect(d?.groups).toEqual(['CN=Engineering,OU=Groups,DC=samdom,DC=test']);
    expect(d?.username_attribute).toBe('uid');
    expect(d?.status).toBe('never_synced');
    const conn = (await backend.connection_list()).find((c) => c.id === d?.connection.id);
    expect(conn?.config).toMatchObject({ servers: ['ldaps://dc1.samdom.test:636'], base_dn: 'DC=samdom,DC=test' });
    expect(JSON.stringify(conn)).not.toContain('"pw"');
    expect(conn?.used_by).toEqual(['Staff']);
    // The saved connection tests and searches with the password from the "keychain".
    const checks = await backend.connection_test({ id: d!.connection.id });
    expect(checks.at(-1)?.ok).toBe(true);
    expect((await backend.connection_groups({ id: d!.connection.id, query: 'eng', limit: 10 })).length).toBe(3);
    // And it syncs like any other directory.
    const report = await backend.sync_run({ key: directory_key, dry_run: false, approve: false });
    expect(report.outcome).toBe('succeeded');
    expect(report.counts.created).toBeGreaterThan(0);
  });

  it('adds an admin sync with roles', async () => {
    const { directory_key } = await backend.directory_add({
      spec: spec({ type: 'admin', groups: undefined, roles: { 'CN=Domain Admins,CN=Users,DC=samdom,DC=test': 'Administrator' } }),
    });
    const d = (await backend.directory_list()).find((x) => x.directory_key === directory_key);
    expect(d?.sync_type).toBe('admin');
    expect(d?.groups).toEqual(['CN=Domain Admins,CN=Users,DC=samdom,DC=test → Administrator']);
  });

  it('validates like the real backend', async () => {
    const msg = async (s: unknown) => (await rejection(backend.directory_add({ spec: s as LdapDirectorySpec }))).message;
    expect(await msg(spec({ groups: [] }))).toBe('Select at least one group to sync ("groups").');
    expect(await msg(spec({ type: 'admin', groups: undefined }))).toBe('Map at least one group to an administrator role ("roles").');
    expect(await msg(spec({ type: 'admin', groups: undefined, roles: {} }))).toBe('Map at least one group to an administrator role ("roles").');
    expect(await msg({ ...spec({ type: 'admin', groups: undefined }), roles: { 'cn=x': 'Owner' } })).toMatch(/Owners are never synced/);
    expect(await msg({ ...spec({ type: 'admin', groups: undefined }), roles: { 'cn=x': 'administrator' } })).toMatch(/not an administrator role/);
    expect(
      await msg(spec({ type: 'admin', groups: undefined, roles: { 'cn=x': 'Help Desk' }, attributes: { username: 'uid' } })),
    ).toMatch(/^Admin syncs match administrators by email/);
    expect(await msg(spec({ roles: { 'cn=x': 'Help Desk' } }))).toMatch(/"roles" is for admin syncs/);
    expect(await msg(spec({ name: ' ' }))).toMatch(/A directory sync name must have 1 to 100 characters; this one has 0/);
    expect(await msg(spec({ attributes: { username: ' ' } }))).toMatch(/The username attribute is empty/);
    expect(await msg(spec({ connection: ad({ base_dn: '' }) }))).toMatch(/Give the base DN/);
    expect(await msg({ ...spec(), extra: 1 })).toMatch(/unknown field `extra`/);
    expect(await msg(spec({ name: 'Corporate AD' }))).toMatch(/already exists in this tenant/);
    expect((await rejection(backend.directory_add({ spec: spec({ name: 'Corporate AD' }) }))).code).toBe('conflict');
  });
});

describe('mock connection list and tests of saved connections', () => {
  it('lists the connections of the sample directories, and tests them', async () => {
    const list = await backend.connection_list();
    const kinds = list.map((c) => c.kind).sort();
    expect(kinds).toEqual(['active_directory', 'entra', 'google', 'okta']);
    const adConn = list.find((c) => c.kind === 'active_directory')!;
    expect(adConn.used_by).toEqual(['Corporate AD']);
    expect((await backend.connection_test({ id: adConn.id })).at(-1)?.ok).toBe(true);
    expect((await rejection(backend.connection_test({ id: 'nope' }))).code).toBe('not_found');
  });
});
