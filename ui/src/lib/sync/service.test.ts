import { beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts, type RunReport, type SyncProgress } from '../backend/backend';
import { MockBackend } from '../backend/mock';
import { toUserError } from '../error/userError';
import {
  changeRows,
  changedCount,
  formatFieldChange,
  loadHistory,
  ProgressTracker,
  reportTitle,
  runArgs,
  runSync,
  runSyncForReport,
  summariseCounts,
  summaryLine,
  trackProgress,
} from './service';

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

describe('report summaries', () => {
  it('lists seen always and the other counts only when not zero', () => {
    const counts = { ...emptyCounts(), seen: 1200, created: 3, trashed: 40, groups_created: 2 };
    expect(summariseCounts(counts).map((c) => c.key)).toEqual(['seen', 'created', 'trashed', 'groups_created']);
    expect(summaryLine(counts)).toBe('1,200 seen · 3 created · 40 moved to trash · 2 groups created');
    expect(changedCount(counts)).toBe(45);
    expect(summaryLine(emptyCounts())).toBe('0 seen');
  });

  it('formats field changes with before and after', () => {
    expect(formatFieldChange({ field: 'email', before: 'a@x', after: 'b@x' })).toBe('email: a@x → b@x');
    expect(formatFieldChange({ field: 'realname', before: null, after: 'Ada' })).toBe('realname: (none) → Ada');
    expect(formatFieldChange({ field: 'purge_at', before: '2026-12-01', after: null })).toBe('purge_at: 2026-12-01 → (none)');
    expect(formatFieldChange({ field: 'notes', before: '', after: 'x' })).toBe('notes: (empty) → x');
  });

  it('titles previews and held runs plainly', () => {
    const base = { run_id: 1, directory_key: 'k', directory_name: 'K', trigger: 'manual' as const, started_at: '', finished_at: null, counts: emptyCounts(), message: null };
    expect(reportTitle({ ...base, outcome: 'preview' })).toBe('Preview — nothing was changed');
    expect(reportTitle({ ...base, outcome: 'held' })).toMatch(/held/);
    expect(reportTitle({ ...base, outcome: 'succeeded' })).toBe('Sync finished');
  });

  it('passes the contract arguments for each mode', () => {
    expect(runArgs('hr', 'sync')).toEqual({ key: 'hr', dry_run: false, approve: false });
    expect(runArgs('hr', 'preview')).toEqual({ key: 'hr', dry_run: true, approve: false });
    expect(runArgs('hr', 'approve')).toEqual({ key: 'hr', dry_run: false, approve: true });
  });
});

describe('running syncs against the mock', () => {
  it('previews without changing anything, then holds, then applies on approval', async () => {
    const before = await backend.users_page({ query: '', offset: 0, limit: 1 });
    const preview = await runSync(backend, 'corporate-ad', 'preview');
    expect(preview.outcome).toBe('preview');
    expect(preview.trigger).toBe('preview');
    expect(preview.counts.trashed).toBe(40);
    expect((await backend.users_page({ query: '', offset: 0, limit: 1 })).total).toBe(before.total);

    const held = await runSync(backend, 'corporate-ad', 'sync');
    expect(held.outcome).toBe('held');
    expect(held.held_reason).toMatch(/40 of 250/);
    expect((await backend.users_page({ query: '', offset: 0, limit: 1 })).total).toBe(before.total);
    expect((await backend.directory_list()).find((d) => d.directory_key === 'corporate-ad')?.status).toBe('held');

    const approved = await runSync(backend, 'corporate-ad', 'approve');
    expect(approved.outcome).toBe('approved');
    expect((await backend.users_page({ query: '', offset: 0, limit: 1 })).total).toBe(before.total! - 40);
    const trash = await backend.trash_page({ query: '', offset: 0, limit: 1 });
    expect(trash.total).toBe(8 + 40);

    const { rows, hidden } = changeRows(approved.changes, 10);
    expect(rows).toHaveLength(10);
    expect(hidden).toBe(approved.changes.length - 10);
    expect(changeRows(approved.changes, 500, 'move to trash').matching).toBe(40);
  });

  it('a run that cannot reach its source ends as failed with a message', async () => {
    const r = await runSync(backend, 'entra-contractors', 'sync');
    expect(r.outcome).toBe('failed');
    expect(r.message).toMatch(/Could not reach/);
  });

  it('refuses a second run of a directory that is already syncing', async () => {
    const slow = new MockBackend({ progressStepMs: 5 });
    const first = runSync(slow, 'okta-admins', 'sync');
    const err = await runSync(slow, 'okta-admins', 'sync').catch((e: unknown) => e);
    expect(toUserError(err).code).toBe('conflict');
    expect((await first).outcome).toBe('succeeded');
  });

  it('history lists runs newest first and run_detail returns the changes', async () => {
    const key = (await backend.directory_add({ spec: { name: 'Demo directory', type: 'user', connection: { kind: 'demo', seed: 7, users: 50 } } })).directory_key;
    const report = await runSync(backend, key, 'sync');
    const history = await loadHistory(backend);
    expect(history[0].run_id).toBe(report.run_id);
    for (let i = 1; i < history.length; i++) expect(history[i - 1].started_at >= history[i].started_at).toBe(true);
    const detail: RunReport = await backend.run_detail({ run_id: report.run_id! });
    expect(detail.changes.length).toBe(report.changes.length);
    expect(detail.changes.length).toBeGreaterThan(0);
    expect(await loadHistory(backend, key)).toHaveLength(1);
  });
});

describe('progress', () => {
  const ev = (over: Partial<SyncProgress>): SyncProgress => ({
    tenant: 't1', directory_key: 'hr', run_id: 5, phase: 'fetching', done: 0, total: 100, message: '', ...over,
  });

  it('keeps the latest event per directory with a percentage', () => {
    const t = new ProgressTracker();
    t.apply(ev({ done: 25 }));
    expect(t.get('hr')?.percent).toBe(25);
    expect(t.get('hr')?.phaseLabel).toBe('Reading the source directory');
    t.apply(ev({ phase: 'applying', done: 150, total: 100 }));
    expect(t.get('hr')?.done).toBe(100);
    expect(t.get('hr')?.finished).toBe(false);
    t.apply(ev({ phase: 'done', done: 100 }));
    expect(t.get('hr')?.finished).toBe(true);
    t.apply(ev({ directory_key: 'other', total: 0 }));
    expect(t.get('other')?.percent).toBeNull();
    expect(t.list()).toHaveLength(2);
    t.clear('hr');
    expect(t.get('hr')).toBeUndefined();
  });

  it('ignores a late event from an older run', () => {
    const t = new ProgressTracker();
    t.apply(ev({ run_id: 6, phase: 'applying', done: 10 }));
    t.apply(ev({ run_id: 5, phase: 'done', done: 100 }));
    expect(t.get('hr')?.runId).toBe(6);
    expect(t.get('hr')?.phase).toBe('applying');
  });

  it('follows the events of a real mock run in order', async () => {
    const t = new ProgressTracker();
    const phases: string[] = [];
    const stop = await trackProgress(backend, t, (v) => phases.push(v.phase));
    const key = (await backend.directory_add({ spec: { name: 'Demo', type: 'user', connection: { kind: 'demo', seed: 7, users: 300 } } })).directory_key;
    const report = await runSync(backend, key, 'sync');
    stop();
    expect(phases[0]).toBe('fetching');
    expect(phases).toContain('planning');
    expect(phases).toContain('applying');
    expect(phases.at(-1)).toBe('done');
    const last = t.get(key)!;
    expect(last.runId).toBe(report.run_id);
    expect(last.percent).toBe(100);
    const count = phases.length;
    await runSync(backend, key, 'preview');
    expect(phases.length).toBe(count); // unsubscribed
  });
});

describe('runSyncForReport', () => {
  it('returns the report as is when the run resolves', async () => {
    const r = await runSyncForReport(backend, 'okta-admins', 'sync');
    expect(r.outcome).toBe('succeeded');
  });

  it('turns a "held" rejection into the held run from the history', async () => {
    const held = await backend.sync_run({ key: 'corporate-ad', dry_run: false, approve: false });
    expect(held.outcome).toBe('held');
    // A backend that rejects held runs instead of returning them.
    const rejecting = Object.create(backend) as MockBackend;
    rejecting.sync_run = () => Promise.reject({ code: 'held', message: 'Held: too many removals.' });
    const r = await runSyncForReport(rejecting, 'corporate-ad', 'sync');
    expect(r.run_id).toBe(held.run_id);
    expect(r.outcome).toBe('held');
    expect(r.held_reason).toMatch(/40 of 250/);
  });

  it('passes other rejections on', async () => {
    const rejecting = Object.create(backend) as MockBackend;
    rejecting.sync_run = () => Promise.reject({ code: 'source_unreachable', message: 'Cannot reach the server.' });
    const err = await runSyncForReport(rejecting, 'corporate-ad', 'sync').catch((e: unknown) => e);
    expect(toUserError(err)).toEqual({ code: 'source_unreachable', message: 'Cannot reach the server.' });
  });
});
