import { describe, expect, it } from 'vitest';
import type { ProgressEvent, RunReport } from './backend';
import { ReplayBackend, sameJson, type Recording } from './replay';
import { RECORDING, recordedSyncs, replay } from './testing';

const report = (outcome: string) => ({ outcome }) as unknown as RunReport;

/** A small story: a list, a run that changes it (with progress), the list again, and a refusal. */
const story: Recording = {
  calls: [
    { cmd: 'directory_list', args: {}, ok: ['before'] },
    {
      cmd: 'sync_run',
      args: { key: 'K', dry_run: false, approve: false },
      ok: report('succeeded'),
      events: [
        { event: 'sync-progress', payload: { phase: 'fetching' } as ProgressEvent },
        { event: 'sync-progress', payload: { phase: 'done' } as ProgressEvent },
      ],
    },
    { cmd: 'directory_list', args: {}, ok: ['after'] },
    { cmd: 'directory_add', args: { spec: { name: 'Demo' } }, ok: { directory_key: 'K2', conflicts: [] } },
    { cmd: 'directory_add', args: { spec: { name: 'Demo' } }, err: { code: 'conflict', message: 'Taken.' } },
    { cmd: 'run_detail', args: { run_id: 9 }, err: { code: 'not_found', message: 'No run 9.' } },
  ],
};

describe('ReplayBackend', () => {
  it('answers a read with the state the story is in, and a change moves the story on', async () => {
    const b = new ReplayBackend(story);
    expect(await b.directory_list()).toEqual(['before']);
    expect(await b.directory_list()).toEqual(['before']);
    expect((await b.sync_run({ key: 'K', dry_run: false, approve: false })).outcome).toBe('succeeded');
    expect(await b.directory_list()).toEqual(['after']);
  });

  it('matches arguments whatever the order of their keys', async () => {
    const b = new ReplayBackend(story);
    expect((await b.sync_run({ approve: false, key: 'K', dry_run: false })).outcome).toBe('succeeded');
    expect(sameJson({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
  });

  it('sends the recorded events before the answer', async () => {
    const b = new ReplayBackend(story);
    const phases: string[] = [];
    const stop = await b.onSyncProgress((p) => phases.push(p.phase));
    const done = await b.sync_run({ key: 'K', dry_run: false, approve: false });
    expect(phases).toEqual(['fetching', 'done']);
    expect(done.outcome).toBe('succeeded');
    stop();
    await b.sync_run({ key: 'K', dry_run: false, approve: false });
    expect(phases).toHaveLength(2);
  });

  it('rejects with the recorded {code, message}, and the same change twice gets its second answer', async () => {
    const b = new ReplayBackend(story);
    expect(await b.directory_add({ spec: { name: 'Demo' } as never })).toEqual({ directory_key: 'K2', conflicts: [] });
    await expect(b.directory_add({ spec: { name: 'Demo' } as never })).rejects.toEqual({ code: 'conflict', message: 'Taken.' });
    await expect(b.run_detail({ run_id: 9 })).rejects.toEqual({ code: 'not_found', message: 'No run 9.' });
  });

  it('refuses a call that was never recorded, naming the command and its arguments', async () => {
    const b = new ReplayBackend(story);
    const err = await b.run_detail({ run_id: 10 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unknown' });
    expect((err as { message: string }).message).toContain('run_detail with {"run_id":10}');
  });
});

describe('the recording of the real backend', () => {
  it('answers the window as it opens: limits, kinds, tenants, syncs', async () => {
    const b = replay();
    expect((await b.app_limits()).name_max).toBeGreaterThan(0);
    const kinds = await b.connection_kinds();
    expect(kinds.map((k) => k.access)).toEqual(expect.arrayContaining(['builtin', 'ldap', 'cloud']));
    const tenants = await b.tenant_list();
    expect(tenants.filter((t) => t.current)).toHaveLength(1);
    const dirs = await b.directory_list();
    expect(dirs.map((d) => d.status)).toEqual(['never_synced', 'never_synced']);
  });

  it('holds a whole session: a sync, a held run approved, a cloud sign-in and the errors', () => {
    const outcomes = RECORDING.calls
      .filter((c) => c.cmd === 'sync_run' && c.ok)
      .map((c) => (c.ok as RunReport).outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['preview', 'succeeded', 'held']));
    expect(RECORDING.calls.some((c) => c.cmd === 'connection_authorize' && c.events?.[0]?.event === 'consent-progress')).toBe(true);
    const codes = RECORDING.calls.flatMap((c) => (c.err && typeof c.err === 'object' ? [c.err.code] : []));
    expect(codes).toEqual(expect.arrayContaining(['not_found', 'validation', 'conflict']));
    expect(recordedSyncs().user.sync_type).toBe('user');
  });

  it('holds SCIM integrations: the server starts with the first, a push shows, a token is replaced', async () => {
    const b = replay();
    const start = RECORDING.calls.findIndex((c) => c.cmd === 'server_status');
    b.from(start);
    expect((await b.server_status()).running).toBe(false);
    expect(await b.scim_list()).toEqual([]);
    const issued = await b.scim_create({ name: 'Okta', flavor: 'okta' });
    expect(issued.token).toMatch(/^roster_scim_/);
    const status = await b.server_status();
    expect(status.running).toBe(true);
    expect(issued.base_url.startsWith(`${status.origin}/scim/v2/`)).toBe(true);
    const [listed] = await b.scim_list();
    expect(listed).toMatchObject({ directory_key: issued.directory_key, flavor: 'okta', users: 1, token_status: 'ok' });
    expect(JSON.stringify(await b.scim_list())).not.toContain(issued.token);
    const again = await b.scim_regenerate({ key: issued.directory_key });
    expect(again.token).not.toBe(issued.token);
    await expect(b.scim_create({ name: '', flavor: 'generic' })).rejects.toMatchObject({ code: 'validation' });
    const other = await b.scim_create({ name: 'Entra ID provisioning', flavor: 'generic' });
    expect((await b.scim_list()).map((i) => i.name)).toEqual(['Entra ID provisioning', 'Okta']);
    await b.directory_delete({ key: other.directory_key });
    expect((await b.scim_list()).map((i) => i.name)).toEqual(['Okta']);
  });
});
