import { describe, expect, it } from 'vitest';
import { RECORDING, recordedSyncs, refusal } from '../backend/testing';
import { ReplayBackend } from '../backend/replay';
import { SyncState } from './syncState.svelte';

/** The recorded backend, its progress events a few milliseconds apart so a run can be watched mid-way. */
const slow = () => new ReplayBackend(RECORDING, { eventDelayMs: 5 });

/** Waits (up to a second) until `ok` holds. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!ok()) throw new Error('timed out');
}

describe('SyncState', () => {
  it('runs a sync, keeps its report, clears the running flag and asks for a refresh', async () => {
    const backend = slow();
    const { user } = recordedSyncs();
    const key = user.directory_key;
    const errors: unknown[] = [];
    let refreshes = 0;
    const state = new SyncState(backend, { onerror: (e) => errors.push(e), ondatachanged: () => refreshes++ });
    const stop = await state.listen();
    const pending = state.start(key, 'preview');
    expect(state.running[key]).toBe('preview');
    expect(state.isRunning(key)).toBe(true);
    const report = await pending;
    stop();
    expect(report?.outcome).toBe('preview');
    expect(state.report?.run_id).toBe(report?.run_id);
    expect(state.running).toEqual({});
    expect(state.progress[key]).toBeUndefined();
    expect(state.isRunning(key)).toBe(false);
    expect(refreshes).toBe(1);
    expect(errors).toEqual([]);
  });

  it('reports a rejection through onerror and returns null', async () => {
    const errors: unknown[] = [];
    const state = new SyncState(slow(), { onerror: (e) => errors.push(e), ondatachanged: () => {} });
    expect(await state.start('DSNOPE', 'sync')).toBeNull();
    expect(errors).toEqual([refusal('sync_run', { key: 'DSNOPE', dry_run: false, approve: false })]);
    expect(state.running).toEqual({});
  });

  it('shows progress of runs started elsewhere', async () => {
    const backend = slow();
    const key = recordedSyncs().user.directory_key;
    let refreshes = 0;
    const state = new SyncState(backend, { onerror: () => {}, ondatachanged: () => refreshes++ });
    const stop = await state.listen();
    // Started through the backend directly, as the schedule would.
    const run = backend.sync_run({ key, dry_run: false, approve: false });
    await until(() => state.progress[key] !== undefined);
    expect(state.isRunning(key)).toBe(true);
    await run;
    stop();
    expect(state.progress[key].finished).toBe(true);
    expect(refreshes).toBe(1);
  });
});

describe('SyncState across tenants', () => {
  it('shows only the open tenant: a run of the tenant left behind neither shows progress nor its report', async () => {
    const backend = slow();
    const key = recordedSyncs().user.directory_key;
    let refreshes = 0;
    const state = new SyncState(backend, { onerror: () => {}, ondatachanged: () => refreshes++ });
    const stop = await state.listen();
    const demo = state.tenant!;

    // A Sync Now in the demo tenant, then another tenant is opened while it runs.
    const pending = state.start(key, 'sync');
    await until(() => state.progress[key] !== undefined);
    state.tenantOpened('acme-dental');
    expect(state.isRunning(key)).toBe(false);
    expect(state.running).toEqual({});
    expect(state.progress).toEqual({});

    // The run goes on sending progress and ends with a report: none of it shows on the other tenant's pages.
    const report = await pending;
    expect(report).toBeNull();
    expect(state.report).toBeNull();
    expect(state.progress).toEqual({});

    // Back in the demo tenant, its finished run is in the history, not in the panel.
    state.tenantOpened(demo);
    expect(state.report).toBeNull();
    stop();
    expect(refreshes).toBeGreaterThan(0);
  });
});
