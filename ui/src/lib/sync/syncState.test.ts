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
