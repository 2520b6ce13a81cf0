import { describe, expect, it } from 'vitest';
import { emptyCounts, type Backend, type RunReport, type ProgressEvent } from '../backend/backend';
import { RECORDING, recordedSyncs, replay } from '../backend/testing';
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

/** The recorded backend just after the first recorded call that `at` picks. */
function after(at: (c: (typeof RECORDING.calls)[number]) => boolean) {
  return replay().from(RECORDING.calls.findIndex(at) + 1);
}

/** The story just before the held run: the user sync's threshold was set to 0%. */
const beforeHold = () => after((c) => c.cmd === 'directory_update');

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

describe('running syncs against the recorded backend', () => {
  it('previews without changing anything, then holds, then applies on approval', async () => {
    const backend = replay();
    const key = recordedSyncs().user.directory_key;
    const preview = await runSync(backend, key, 'preview');
    expect(preview.outcome).toBe('preview');
    expect(preview.trigger).toBe('preview');
    expect(preview.run_id).toBeNull();

    const b = beforeHold();
    const held = await runSync(b, key, 'sync');
    expect(held.outcome).toBe('held');
    expect(held.held_reason).toMatch(/threshold/);
    expect((await b.directory_list()).find((d) => d.directory_key === key)?.status).toBe('held');

    const approved = await runSync(b, key, 'approve');
    expect(approved.outcome).toBe('succeeded');
    expect(approved.counts.trashed).toBe(held.counts.trashed);
    expect((await b.trash_page({ query: '', offset: 0, limit: 200 })).total).toBe(held.counts.trashed);

    const { rows, hidden } = changeRows(approved.changes, 10);
    expect(rows).toHaveLength(10);
    expect(hidden).toBe(approved.changes.length - 10);
    expect(changeRows(approved.changes, 500, 'move to trash').matching).toBe(approved.counts.trashed);
  });

  it('history lists runs newest first and run_detail returns the changes', async () => {
    const backend = after((c) => c.cmd === 'sync_run' && (c.args as { approve: boolean }).approve);
    const history = await loadHistory(backend);
    expect(history.length).toBeGreaterThan(2);
    for (let i = 1; i < history.length; i++) expect(history[i - 1].run_id > history[i].run_id).toBe(true);
    const first = history.at(-1)!;
    const detail: RunReport = await backend.run_detail({ run_id: first.run_id });
    expect(detail.changes.length).toBeGreaterThan(0);
    expect(detail.counts).toEqual(first.counts);
  });
});

describe('progress', () => {
  const ev = (over: Partial<ProgressEvent>): ProgressEvent => ({
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

  it('follows the events of a recorded run in order', async () => {
    const backend = replay();
    const key = recordedSyncs().user.directory_key;
    const t = new ProgressTracker();
    const phases: string[] = [];
    const stop = await trackProgress(backend, t, (v) => phases.push(v.phase));
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
  const key = () => recordedSyncs().user.directory_key;

  it('returns the report as is when the run resolves', async () => {
    const r = await runSyncForReport(beforeHold(), key(), 'sync');
    expect(r.outcome).toBe('held');
  });

  it('turns a "held" rejection into the held run from the history', async () => {
    const recorded = beforeHold();
    const held = await recorded.sync_run({ key: key(), dry_run: false, approve: false });
    // A backend that rejects held runs instead of returning them.
    const rejecting: Backend = Object.assign(Object.create(recorded), {
      sync_run: () => Promise.reject({ code: 'held', message: 'Held: too many removals.' }),
    });
    const r = await runSyncForReport(rejecting, key(), 'sync');
    expect(r.run_id).toBe(held.run_id);
    expect(r.outcome).toBe('held');
    expect(r.held_reason).toBe(held.held_reason);
  });

  it('passes other rejections on', async () => {
    const rejecting: Backend = Object.assign(Object.create(replay()), {
      sync_run: () => Promise.reject({ code: 'source_unreachable', message: 'Cannot reach the server.' }),
    });
    const err = await runSyncForReport(rejecting, key(), 'sync').catch((e: unknown) => e);
    expect(toUserError(err)).toEqual({ code: 'source_unreachable', message: 'Cannot reach the server.' });
  });
});
