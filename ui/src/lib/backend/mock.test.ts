// The mock answers with the backend's shapes for what the window added in issue 9 (limits, precedence,
// conflicts, waiting schedules, change pages, tenant-tagged progress, keyed pages, secrets entered again).

import { beforeEach, describe, expect, it } from 'vitest';
import type { SyncProgress } from './backend';
import { MockBackend } from './mock';

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message?: string } | string> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message?: string } | string;
  }
  throw new Error('expected a rejection');
}

describe('MockBackend (issue 9 shapes)', () => {
  it('refuses names as the backend does: 1 to name_max characters, no control characters', async () => {
    const { name_max } = await backend.app_limits();
    expect(name_max).toBe(100);
    expect(await rejection(backend.tenant_create({ name: 'x'.repeat(name_max + 1) }))).toEqual({
      code: 'validation',
      message: 'A tenant name must have 1 to 100 characters; this one has 101.',
    });
    expect((await backend.tenant_create({ name: 'é'.repeat(name_max) })).name).toHaveLength(name_max);
    expect(await rejection(backend.tenant_rename({ id: 'tenant-1', name: 'tab\there' }))).toMatchObject({
      code: 'validation',
      message: expect.stringMatching(/cannot contain control characters/),
    });
    const demo = { kind: 'demo' as const, seed: 1, users: 5 };
    expect(await rejection(backend.directory_add({ spec: { name: 'a\nb', type: 'user', connection: demo } }))).toMatchObject({
      code: 'validation',
    });
  });

  it('puts a new sync last in its type’s order, waiting for its first full run; previews are not recorded', async () => {
    const { directory_key: key, conflicts } = await backend.directory_add({
      spec: { name: 'New', type: 'user', connection: { kind: 'demo', seed: 1, users: 20 } },
    });
    expect(conflicts).toEqual([]);
    const find = async () => (await backend.directory_list()).find((d) => d.directory_key === key)!;
    expect(await find()).toMatchObject({ schedule: 'waiting', precedence: 4, conflicts: 0 });
    const preview = await backend.sync_run({ key, dry_run: true, approve: false });
    expect(preview.run_id).toBeNull();
    expect(await backend.runs_list({ key, limit: 10 })).toEqual([]);
    expect((await find()).schedule).toBe('waiting');
    await backend.sync_run({ key, dry_run: false, approve: false });
    expect((await find()).schedule).toBe('scheduled');
  });

  it('says what a new sync shares with another over the same directory', async () => {
    const spec = (name: string) => ({
      name,
      type: 'user' as const,
      connection: { kind: 'openldap' as const, servers: ['ldaps://ldap.example.org:636'], transport: 'ldaps' as const, base_dn: 'dc=example,dc=org' },
      groups: ['cn=staff,ou=groups,dc=example,dc=org'],
      attributes: { username: 'uid' },
    });
    expect((await backend.directory_add({ spec: spec('Staff') })).conflicts).toEqual([]);
    const second = await backend.directory_add({ spec: spec('Staff again') });
    expect(second.conflicts).toEqual([
      'The sync "Staff" also selects cn=staff,ou=groups,dc=example,dc=org. It comes first in the order of precedence, so ' +
        'the users and groups both syncs find stay with it and this sync reports them as conflicts. To reverse that, ' +
        'move this sync above "Staff".',
    ]);
  });

  it('changes a sync with directory_update, refusing what the backend refuses', async () => {
    expect(await backend.directory_update({ key: 'entra-contractors', patch: { name: 'Contractors', precedence: 1 } })).toMatchObject({
      name: 'Contractors',
      precedence: 1,
    });
    expect(await rejection(backend.directory_update({ key: 'google-staff', patch: { name: 'contractors' } }))).toMatchObject({ code: 'conflict' });
    expect(await rejection(backend.directory_update({ key: 'google-staff', patch: { interval_minutes: 2 } }))).toMatchObject({
      message: 'The interval must be between 5 and 1440 minutes.',
    });
    expect(await rejection(backend.directory_update({ key: 'google-staff', patch: { colour: 'red' } as never }))).toMatch(
      /unknown field `colour`/,
    );
    expect(await rejection(backend.directory_update({ key: 'nope', patch: {} }))).toMatchObject({ code: 'not_found' });
  });

  it('names the tenant in progress events, and gives offset pages their next key', async () => {
    const seen: SyncProgress[] = [];
    await backend.onSyncProgress((p) => seen.push(p));
    await backend.sync_run({ key: 'okta-admins', dry_run: true, approve: false });
    const open = (await backend.tenant_list()).find((t) => t.current)!;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.tenant === open.id)).toBe(true);

    const first = await backend.users_page({ query: '', offset: 0, limit: 10 });
    expect(first.total).toBeGreaterThan(10);
    expect(first.next).toBe(first.rows[9].username);
    const last = await backend.users_page({ query: '', offset: first.total! - 5, limit: 10 });
    expect(last.rows).toHaveLength(5);
    expect(last.next).toBeNull();
  });

  it('takes a secret only for connections that keep one', async () => {
    expect(await rejection(backend.connection_set_secret({ id: 'conn-okta', secret: 'x' }))).toEqual({
      code: 'validation',
      message: 'A Okta connection keeps no secret to enter: sign in again with Reauthorize.',
    });
    const google = await backend.connection_set_secret({ id: 'conn-google', secret: 'GOCSPX-new' });
    expect(google.status).toBe('needs_reauthorization'); // the secret alone does not bring back a revoked sign-in
    expect(JSON.stringify(google)).not.toContain('GOCSPX-new');
    expect(await rejection(backend.connection_set_secret({ id: 'conn-ad', secret: '' }))).toMatchObject({ code: 'validation' });
  });
});
