import { describe, expect, it } from 'vitest';
import { MockBackend } from '../backend/mock';
import { SyncState } from './syncState.svelte';

describe('SyncState', () => {
  it('runs a sync, keeps its report, clears the running flag and asks for a refresh', async () => {
    const backend = new MockBackend();
    const errors: unknown[] = [];
    let refreshes = 0;
    const state = new SyncState(backend, { onerror: (e) => errors.push(e), ondatachanged: () => refreshes++ });
    const stop = await state.listen();
    const pending = state.start('corporate-ad', 'preview');
    expect(state.running['corporate-ad']).toBe('preview');
    expect(state.isRunning('corporate-ad')).toBe(true);
    const report = await pending;
    stop();
    expect(report?.outcome).toBe('preview');
    expect(state.report?.run_id).toBe(report?.run_id);
    expect(state.running).toEqual({});
    expect(state.progress['corporate-ad']).toBeUndefined();
    expect(state.isRunning('corporate-ad')).toBe(false);
    expect(refreshes).toBe(1);
    expect(errors).toEqual([]);
  });

  it('reports a rejection through onerror and returns null', async () => {
    const backend = new MockBackend();
    const errors: unknown[] = [];
    const state = new SyncState(backend, { onerror: (e) => errors.push(e), ondatachanged: () => {} });
    expect(await state.start('no-such-directory', 'sync')).toBeNull();
    expect(errors).toHaveLength(1);
    expect((errors[0] as { code: string }).code).toBe('not_found');
    expect(state.running).toEqual({});
  });

  it('shows progress of runs started elsewhere', async () => {
    const backend = new MockBackend();
    let refreshes = 0;
    const state = new SyncState(backend, { onerror: () => {}, ondatachanged: () => refreshes++ });
    const stop = await state.listen();
    // Started through the backend directly, as the schedule would.
    const run = backend.sync_run({ key: 'okta-admins', dry_run: false, approve: false });
    await new Promise((r) => setTimeout(r, 0));
    expect(state.progress['okta-admins']).toBeDefined();
    expect(state.isRunning('okta-admins')).toBe(true);
    await run;
    stop();
    expect(state.progress['okta-admins'].finished).toBe(true);
    expect(refreshes).toBe(1);
  });
});

/** Waits (up to a second) until `ok` holds. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!ok()) throw new Error('timed out');
}

describe('SyncState across tenants', () => {
  it('shows only the open tenant: a run of the tenant left behind neither shows progress nor its report', async () => {
    const backend = new MockBackend({ progressStepMs: 5 });
    let refreshes = 0;
    const state = new SyncState(backend, { onerror: () => {}, ondatachanged: () => refreshes++ });
    const stop = await state.listen();
    const tenants = await backend.tenant_list();
    const acme = tenants.find((t) => t.current)!;
    const globex = tenants.find((t) => !t.current)!;

    // A long Sync Now in Acme, then Globex is opened while it runs.
    const pending = state.start('corporate-ad', 'sync');
    await until(() => state.progress['corporate-ad']?.phase === 'fetching');
    await backend.tenant_switch({ id: globex.id });
    state.tenantOpened(globex.id);
    expect(state.isRunning('corporate-ad')).toBe(false);
    expect(state.running).toEqual({});
    expect(state.progress).toEqual({});

    // Acme's run goes on sending progress and ends with a report: none of it shows on Globex's pages.
    const report = await pending;
    expect(report).toBeNull();
    expect(state.report).toBeNull();
    expect(state.progress).toEqual({});
    expect(state.isRunning('corporate-ad')).toBe(false);

    // Globex's own runs show as usual.
    const own = await state.start('globex-ldap', 'preview');
    expect(own?.directory_key).toBe('globex-ldap');
    expect(state.report?.directory_key).toBe('globex-ldap');

    // Back in Acme, its finished run is in the history, not in the panel.
    await backend.tenant_switch({ id: acme.id });
    state.tenantOpened(acme.id);
    expect(state.report).toBeNull();
    stop();
    expect(refreshes).toBeGreaterThan(0);
  });
});
