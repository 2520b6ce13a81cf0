// Individual sync ("Sync one…"): input checks, the call to sync_user, the one-line summary, SyncState.syncUser
// and the form, against what the real backend answered (the recording) or literal reports.

import { describe, expect, it } from 'vitest';
import { emptyCounts, type Backend, type Change, type RunReport } from '../backend/backend';
import { recordedCalls, recordedSyncs, refusal, replay } from '../backend/testing';
import {
  checkSyncOneInput,
  reportTitle,
  summariseIndividual,
  syncOne,
  syncOneLabel,
} from './service';
import { SyncOneForm } from './syncOne.svelte';
import { SyncState } from './syncState.svelte';

/** Wraps a backend so every sync_user call is kept (and still answered by it). */
function spying(inner: Backend): { backend: Backend; calls: { key: string; username: string }[] } {
  const calls: { key: string; username: string }[] = [];
  const b: Backend = Object.assign(Object.create(inner), {
    sync_user: (args: { key: string; username: string }) => {
      calls.push({ ...args });
      return inner.sync_user(args);
    },
  });
  return { backend: b, calls };
}

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    run_id: 9,
    directory_key: 'hr',
    directory_name: 'HR',
    trigger: 'individual',
    outcome: 'succeeded',
    started_at: '2026-11-28T20:00:00Z',
    finished_at: '2026-11-28T20:00:02Z',
    counts: emptyCounts(),
    message: null,
    changes: [],
    changes_total: 0,
    errors: [],
    conflicts: [],
    held_reason: null,
    ...over,
  };
}

function change(over: Partial<Change> = {}): Change {
  return { object: 'user', key: 'ada', action: 'update', fields: [], reason: 'Changed in ad.example.', ...over };
}

const users = () => recordedSyncs().user.directory_key;
const admins = () => recordedSyncs().admin.directory_key;

/** The names the recorded session synced one at a time: a user it has, one it has not, an administrator. */
function synced(): { known: string; unknown: string; admin: string; unknownMessage: string } {
  const calls = recordedCalls('sync_user');
  const of = (key: string, outcome: string) =>
    calls.find((c) => (c.args as { key: string }).key === key && (c.ok as RunReport).outcome === outcome)!;
  const unknown = of(users(), 'failed');
  return {
    known: (of(users(), 'succeeded').args as { username: string }).username,
    unknown: (unknown.args as { username: string }).username,
    admin: (of(admins(), 'succeeded').args as { username: string }).username,
    unknownMessage: (unknown.ok as RunReport).message!,
  };
}

describe('checking the typed name', () => {
  it('labels the input by sync type', () => {
    expect(syncOneLabel('user')).toBe('Username');
    expect(syncOneLabel('admin')).toBe('Email');
  });

  it('refuses blank names and trims the others', () => {
    expect(checkSyncOneInput('', 'user')).toEqual({ problem: 'Enter the username of the user to sync.' });
    expect(checkSyncOneInput('  \t\n ', 'user')).toEqual({ problem: 'Enter the username of the user to sync.' });
    expect(checkSyncOneInput(' ', 'admin')).toEqual({ problem: 'Enter the email of the administrator to sync.' });
    expect(checkSyncOneInput(null, 'user')).toHaveProperty('problem');
    expect(checkSyncOneInput('  ada.chen \t', 'user')).toEqual({ username: 'ada.chen' });
    expect(checkSyncOneInput('a b', 'user')).toEqual({ username: 'a b' });
  });
});

describe('syncOne', () => {
  it('does not call the backend for a blank name', async () => {
    const spy = spying(replay());
    const result = await syncOne(spy.backend, users(), '   ', 'user');
    expect(result).toEqual({ kind: 'problem', code: 'validation', message: 'Enter the username of the user to sync.' });
    expect(spy.calls).toEqual([]);
  });

  it('sends the trimmed name with the directory key', async () => {
    const spy = spying(replay());
    const { known } = synced();
    const result = await syncOne(spy.backend, users(), `  ${known}  `, 'user');
    expect(spy.calls).toEqual([{ key: users(), username: known }]);
    expect(result.kind).toBe('report');
  });

  it('shows an unknown username as the failed report the backend gives, not as a rejection', async () => {
    const { unknown, unknownMessage } = synced();
    const result = await syncOne(replay(), users(), ` ${unknown} `, 'user');
    if (result.kind !== 'report') throw new Error(`expected a report, got ${JSON.stringify(result)}`);
    expect(result.report.outcome).toBe('failed');
    expect(result.report.trigger).toBe('individual');
    expect(result.report.changes).toEqual([]);
    expect(result.summary).toEqual({ tone: 'error', text: unknownMessage });
    expect(reportTitle(result.report)).toBe('Individual sync failed');
  });

  it('says when one known user is already up to date', async () => {
    const { known } = synced();
    const result = await syncOne(replay(), users(), known, 'user');
    if (result.kind !== 'report') throw new Error('expected a report');
    expect(result.report.outcome).toBe('succeeded');
    expect(result.report.changes).toEqual([]);
    expect(result.summary).toEqual({ tone: 'ok', text: `"${known}" is already up to date. Nothing was changed.` });
    expect(reportTitle(result.report)).toBe('Individual sync finished');
  });

  it('syncs one administrator by email in an admin sync', async () => {
    const { admin } = synced();
    const ok = await syncOne(replay(), admins(), ` ${admin} `, 'admin');
    if (ok.kind !== 'report') throw new Error('expected a report');
    expect(ok.report.outcome).toBe('succeeded');
    expect(ok.report.counts.seen).toBe(1);
  });

  it('passes a rejection on as a readable problem', async () => {
    const missing = refusal('sync_run', { key: 'DSNOPE', dry_run: false, approve: false });
    const rejecting = (err: unknown): Backend => Object.assign(Object.create(replay()), { sync_user: () => Promise.reject(err) });
    expect(await syncOne(rejecting(missing), 'DSNOPE', 'ada', 'user')).toEqual({ kind: 'problem', ...missing });
    expect(await syncOne(rejecting(new Error('socket closed')), users(), 'ada', 'user')).toEqual({
      kind: 'problem',
      code: 'unknown',
      message: 'Something went wrong: socket closed',
    });
  });
});

describe('summariseIndividual', () => {
  it('names the fields of an update', () => {
    const r = report({
      changes: [
        change({
          fields: [
            { field: 'email', before: 'a@x', after: 'b@x' },
            { field: 'groups', before: 'Sales', after: 'Finance' },
          ],
        }),
      ],
    });
    expect(summariseIndividual(r, 'ada')).toEqual({ tone: 'ok', text: 'Updated user "ada": email, groups.' });
  });

  it('puts the person before groups the run created', () => {
    const r = report({
      changes: [
        change({ object: 'group', key: 'VPN users', action: 'create' }),
        change({ action: 'create', key: 'ada' }),
      ],
    });
    expect(summariseIndividual(r, 'ada').text).toBe('Created user "ada". 1 other change in the report.');
    const admin = report({ changes: [change({ object: 'admin', key: 'a@x', action: 'take_over' })] });
    expect(summariseIndividual(admin, 'a@x').text).toBe('Took over administrator "a@x"; this sync manages it from now on.');
  });

  it('warns about a skipped entry and a held run', () => {
    const skipped = report({
      counts: { ...emptyCounts(), seen: 1, skipped: 1 },
      errors: [{ key: 'ada', message: 'Skipped: "ada" is managed by HR sync.' }],
    });
    expect(summariseIndividual(skipped, 'ada')).toEqual({ tone: 'warning', text: 'Skipped: "ada" is managed by HR sync.' });
    expect(summariseIndividual(report({ outcome: 'held', held_reason: 'Too many.' }), 'ada')).toEqual({
      tone: 'warning',
      text: 'Too many.',
    });
  });

  it('reports a failure with its message, or a fallback', () => {
    expect(summariseIndividual(report({ outcome: 'failed', message: 'No such user.' }), 'ada')).toEqual({
      tone: 'error',
      text: 'No such user.',
    });
    expect(summariseIndividual(report({ outcome: 'interrupted', message: null }), 'ada')).toEqual({
      tone: 'error',
      text: 'The sync of "ada" did not finish. Nothing was changed.',
    });
  });
});

describe('SyncState.syncUser', () => {
  it('puts a failed individual run in the report panel without raising an error', async () => {
    const errors: unknown[] = [];
    let refreshes = 0;
    const state = new SyncState(replay(), { onerror: (e) => errors.push(e), ondatachanged: () => refreshes++ });
    const { unknown, unknownMessage } = synced();
    const pending = state.syncUser(users(), unknown, 'user');
    expect(state.running[users()]).toBe('individual');
    expect(state.isRunning(users())).toBe(true);
    const result = await pending;
    expect(result.kind).toBe('report');
    expect(state.report?.outcome).toBe('failed');
    expect(state.report?.message).toBe(unknownMessage);
    expect(state.running).toEqual({});
    expect(errors).toEqual([]);
    expect(refreshes).toBe(1);
  });

  it('checks the name before starting anything', async () => {
    const spy = spying(replay());
    const state = new SyncState(spy.backend, { onerror: () => {}, ondatachanged: () => {} });
    const shown = report({ run_id: 1 });
    state.show(shown);
    const result = await state.syncUser(users(), '  ', 'user');
    expect(result).toMatchObject({ kind: 'problem', code: 'validation' });
    expect(spy.calls).toEqual([]);
    expect(state.running).toEqual({});
    expect(state.report).toBe(shown); // the report on screen stays
  });

  it('returns a rejection as a problem and leaves no run flagged', async () => {
    const errors: unknown[] = [];
    const missing = refusal('sync_run', { key: 'DSNOPE', dry_run: false, approve: false });
    const backend: Backend = Object.assign(Object.create(replay()), { sync_user: () => Promise.reject(missing) });
    const state = new SyncState(backend, { onerror: (e) => errors.push(e), ondatachanged: () => {} });
    const result = await state.syncUser('DSNOPE', 'ada', 'user');
    expect(result).toMatchObject({ kind: 'problem', code: 'not_found' });
    expect(state.report).toBeNull();
    expect(state.running).toEqual({});
    expect(errors).toEqual([]);
  });

  it('refuses a second run of a directory that is syncing, without asking the backend', async () => {
    const spy = spying(replay());
    const state = new SyncState(spy.backend, { onerror: () => {}, ondatachanged: () => {} });
    const full = state.start(admins(), 'sync');
    const result = await state.syncUser(admins(), synced().admin, 'admin');
    expect(result).toMatchObject({ kind: 'problem', code: 'conflict' });
    expect(spy.calls).toEqual([]);
    expect((await full)?.outcome).toBe('succeeded');
  });
});

describe('the "Sync one…" form', () => {
  it('drops a failed message when the input changes, when another action runs, and after a successful run', async () => {
    const state = new SyncState(replay(), { onerror: () => {}, ondatachanged: () => {} });
    const form = new SyncOneForm(state);
    const key = users();
    const { known, unknown, unknownMessage } = synced();
    expect(form.toggle(key)).toBe(true);
    form.input(unknown);
    await form.submit(key, 'user');
    expect(form.result(key)).toEqual({ tone: 'error', text: unknownMessage });

    // Typing again: the message was about what was sent before.
    form.input(unknown.slice(0, -1));
    expect(form.result(key)).toBeUndefined();

    // Another action (Sync Now, Preview, Pause…) runs.
    form.input(unknown);
    await form.submit(key, 'user');
    expect(form.result(key)?.tone).toBe('error');
    form.actionStarted();
    expect(form.result(key)).toBeUndefined();

    // A successful run of a known user replaces it.
    await form.submit(key, 'user');
    expect(form.result(key)?.tone).toBe('error');
    form.input(known);
    await form.submit(key, 'user');
    expect(form.result(key)?.tone).toBe('ok');
    expect(form.result(key)?.text).not.toContain(unknown);

    // Closing and opening another row leaves no message behind either.
    form.input(unknown);
    await form.submit(key, 'user');
    form.toggle(admins());
    expect(form.result(key)).toBeUndefined();
  });
});
