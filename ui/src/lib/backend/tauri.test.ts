import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: [string, unknown][] = [];
vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(async (cmd: string, args: unknown) => {
    calls.push([cmd, args]);
    return [];
  }),
}));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const { TauriBackend } = await import('./tauri');

beforeEach(() => {
  calls.length = 0;
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
