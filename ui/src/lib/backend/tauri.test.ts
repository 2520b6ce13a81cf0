import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: [string, unknown][] = [];
vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(async (cmd: string, args: unknown) => {
    calls.push([cmd, args]);
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
      ['connection_list', {}],
      ['connection_test', { id: 'conn-1' }],
      ['connection_groups', { id: 'conn-1', query: 'eng', limit: 50 }],
      ['connection_test_draft', { connection }],
      ['connection_groups_draft', { connection, query: 'eng', limit: 50 }],
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
      ['connection_authorize', { connection }],
      ['connection_authorize', { connection: { kind: 'okta', demo: true } }],
      ['connection_reauthorize', { id: 'conn-7' }],
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

describe('TauriBackend commands added in issue 9', () => {
  it('invokes them with the contract\'s names and snake_case argument objects', async () => {
    const b = new TauriBackend();
    await b.app_limits();
    await b.directory_update({ key: 'DS1', patch: { precedence: 2 } });
    await b.run_changes({ run_id: 7, from: 1000, limit: 1000 });
    await b.connection_set_secret({ id: 'conn-1', secret: 's3cret' });
    expect(calls).toEqual([
      ['app_limits', {}],
      ['directory_update', { key: 'DS1', patch: { precedence: 2 } }],
      ['run_changes', { run_id: 7, from: 1000, limit: 1000 }],
      ['connection_set_secret', { id: 'conn-1', secret: 's3cret' }],
    ]);
  });
});
