import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: [string, unknown][] = [];
vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(async (cmd: string, args: unknown) => {
    calls.push([cmd, args]);
    if (cmd === 'tenant_list') {
      return [
        { id: 'demo', name: 'Demo', current: true },
        { id: 'acme', name: 'Acme', current: false },
      ];
    }
    if (cmd === 'tenant_switch') return { id: (args as { id: string }).id, name: 'Acme', current: true };
    return [];
  }),
}));
const listened: string[] = [];
vi.mock('@tauri-apps/api/event', () => ({
  listen: vi.fn(async (event: string, cb: (e: { payload: unknown }) => void) => {
    listened.push(event);
    cb({ payload: { state: 'waiting', authorization_url: 'http://127.0.0.1:5000/consent', vendor: 'Okta (demo)' } });
    return () => {};
  }),
}));

const { TauriBackend } = await import('./tauri');

beforeEach(() => {
  calls.length = 0;
  listened.length = 0;
});

describe('TauriBackend connection commands', () => {
  it('invokes each command with exactly the contract\'s snake_case argument object', async () => {
    const b = new TauriBackend();
    const connection = {
      kind: 'openldap' as const,
      servers: ['ldaps://ldap1.example.org:636'],
      transport: 'ldaps' as const,
      base_dn: 'dc=example,dc=org',
    };
    await b.connection_list();
    await b.connection_test({ id: 'conn-1' });
    await b.connection_groups({ id: 'conn-1', query: 'eng', limit: 50 });
    await b.connection_test_draft({ connection });
    await b.connection_groups_draft({ connection, query: 'eng', limit: 50 });
    expect(calls).toEqual([
      ['tenant_list', {}],
      ['connection_list', { tenant: 'demo' }],
      ['connection_test', { tenant: 'demo',  id: 'conn-1' }],
      ['connection_groups', { tenant: 'demo',  id: 'conn-1', query: 'eng', limit: 50 }],
      ['connection_test_draft', { tenant: 'demo',  connection }],
      ['connection_groups_draft', { tenant: 'demo',  connection, query: 'eng', limit: 50 }],
    ]);
  });
});

describe('TauriBackend cloud connection commands', () => {
  it('invokes the consent commands with the contract\'s names and argument objects', async () => {
    const b = new TauriBackend();
    const connection = { kind: 'entra' as const, tenant: 'contoso.onmicrosoft.com', client_id: '8a1c6f2e-0b5d-4c1e-9f3a-2d7e6b4c1a90', cloud: 'global' as const };
    await b.connection_authorize({ connection });
    await b.connection_authorize({ connection: { kind: 'okta', demo: true } });
    await b.connection_reauthorize({ id: 'conn-7' });
    await b.consent_cancel();
    expect(calls).toEqual([
      ['tenant_list', {}],
      ['connection_authorize', { tenant: 'demo',  connection }],
      ['connection_authorize', { tenant: 'demo',  connection: { kind: 'okta', demo: true } }],
      ['connection_reauthorize', { tenant: 'demo',  id: 'conn-7' }],
      ['consent_cancel', {}],
    ]);
  });

  it('listens to the consent-progress event and hands over its payload', async () => {
    const b = new TauriBackend();
    const seen: unknown[] = [];
    await b.onConsentProgress((p) => seen.push(p));
    expect(listened).toEqual(['consent-progress']);
    expect(seen).toEqual([{ state: 'waiting', authorization_url: 'http://127.0.0.1:5000/consent', vendor: 'Okta (demo)' }]);
  });
});

describe('TauriBackend connection_kinds', () => {
  it('asks for the registry without naming a tenant (it is the same in every tenant)', async () => {
    const b = new TauriBackend();
    await b.connection_kinds();
    expect(calls).toEqual([['connection_kinds', {}]]);
  });
});

describe('TauriBackend commands added in issue 9', () => {
  it('invokes them with the contract\'s names and snake_case argument objects', async () => {
    const b = new TauriBackend();
    await b.app_limits();
    await b.directory_update({ key: 'DS1', patch: { precedence: 2 } });
    await b.run_changes({ run_id: 7, from: 1000, limit: 1000 });
    await b.connection_set_secret({ id: 'conn-1', secret: 's3cret' });
    expect(calls).toEqual([
      ['app_limits', {}],
      ['tenant_list', {}],
      ['directory_update', { tenant: 'demo',  key: 'DS1', patch: { precedence: 2 } }],
      ['run_changes', { tenant: 'demo',  run_id: 7, from: 1000, limit: 1000 }],
      ['connection_set_secret', { tenant: 'demo',  id: 'conn-1', secret: 's3cret' }],
    ]);
  });
});

describe('TauriBackend SCIM and server commands', () => {
  it('names the tenant in the SCIM commands, and not in server_status (one server for every tenant)', async () => {
    const b = new TauriBackend();
    await b.scim_list();
    await b.scim_create({ name: 'Okta', flavor: 'okta' });
    await b.scim_regenerate({ key: 'DS1' });
    await b.directory_delete({ key: 'DS1' });
    await b.server_status();
    expect(calls).toEqual([
      ['tenant_list', {}],
      ['scim_list', { tenant: 'demo' }],
      ['scim_create', { tenant: 'demo', name: 'Okta', flavor: 'okta' }],
      ['scim_regenerate', { tenant: 'demo', key: 'DS1' }],
      ['directory_delete', { tenant: 'demo', key: 'DS1' }],
      ['server_status', {}],
    ]);
  });
});

describe('TauriBackend and the open tenant', () => {
  it('names the tenant the window shows in every tenant command, and follows a switch', async () => {
    const b = new TauriBackend();
    await b.directory_list();
    const switched = await b.tenant_switch({ id: 'acme' });
    expect(switched.id).toBe('acme');
    await b.users_page({ query: '', offset: 0, limit: 10 });
    const listed = await b.tenant_list();
    await b.tenant_create({ name: 'Other' });
    expect(calls).toEqual([
      ['tenant_list', {}],
      ['directory_list', { tenant: 'demo' }],
      ['tenant_switch', { id: 'acme' }],
      ['users_page', { tenant: 'acme', query: '', offset: 0, limit: 10 }],
      ['tenant_list', {}],
      ['tenant_create', { name: 'Other' }],
    ]);
    // The backend still remembers "demo" in this fake; the window's own choice wins for this window.
    expect(listed.find((t) => t.current)?.id).toBe('acme');
  });
});
