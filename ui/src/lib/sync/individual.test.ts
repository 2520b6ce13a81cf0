// Individual sync ("Sync one…"): input checks, the call to sync_user, the one-line summary,
// the mock's behaviour (which follows the real engine) and SyncState.syncUser.

import { beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts, type Backend, type Change, type RunReport } from '../backend/backend';
import { MockBackend } from '../backend/mock';
import {
  checkSyncOneInput,
  reportTitle,
  summariseIndividual,
  syncOne,
  syncOneLabel,
} from './service';
import { SyncOneForm } from './syncOne.svelte';
import { SyncState } from './syncState.svelte';

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

/** Wraps a backend so every sync_user call is recorded (and still answered by the mock). */
function spying(inner: MockBackend): { backend: Backend; calls: { key: string; username: string }[] } {
  const calls: { key: string; username: string }[] = [];
  const b = Object.create(inner) as MockBackend;
  b.sync_user = (args) => {
    calls.push({ ...args });
    return inner.sync_user(args);
  };
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

/** Usernames Corporate AD manages now, and the changes its next full run would make. */
async function corporateAd() {
  const page = await backend.users_page({ query: '', offset: 0, limit: 1000 });
  const managed = page.rows.filter((u) => u.managed_by === 'Corporate AD').map((u) => u.username);
  const preview = await backend.sync_run({ key: 'corporate-ad', dry_run: true, approve: false });
  return { managed, preview, total: page.total };
}

const UNKNOWN_USER =
  'No user with the username "nobody.here" was found in the synced groups, and this sync manages no such user. ' +
  'Check the spelling, and that the user is in a selected group.';

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
    const spy = spying(backend);
    const result = await syncOne(spy.backend, 'corporate-ad', '   ', 'user');
    expect(result).toEqual({ kind: 'problem', code: 'validation', message: 'Enter the username of the user to sync.' });
    expect(spy.calls).toEqual([]);
    expect(await backend.runs_list({ key: 'corporate-ad', limit: 50 })).toHaveLength(2);
  });

  it('sends the trimmed name with the directory key', async () => {
    const spy = spying(backend);
    const [name] = (await corporateAd()).managed;
    const result = await syncOne(spy.backend, 'corporate-ad', `  ${name}  `, 'user');
    expect(spy.calls).toEqual([{ key: 'corporate-ad', username: name }]);
    expect(result.kind).toBe('report');
  });

  it('turns an unknown username into a failed report with the engine message, not a rejection', async () => {
    const result = await syncOne(backend, 'corporate-ad', ' nobody.here ', 'user');
    if (result.kind !== 'report') throw new Error(`expected a report, got ${JSON.stringify(result)}`);
    expect(result.report.outcome).toBe('failed');
    expect(result.report.trigger).toBe('individual');
    expect(result.report.message).toBe(UNKNOWN_USER);
    expect(result.report.changes).toEqual([]);
    expect(result.summary).toEqual({ tone: 'error', text: UNKNOWN_USER });
    expect(reportTitle(result.report)).toBe('Individual sync failed');
    // Recorded like any run, and (as in the real store) the directory shows the failure.
    const [latest] = await backend.runs_list({ key: 'corporate-ad', limit: 1 });
    expect(latest).toMatchObject({ run_id: result.report.run_id, outcome: 'failed', trigger: 'individual' });
    const dir = (await backend.directory_list()).find((d) => d.directory_key === 'corporate-ad')!;
    expect(dir.status).toBe('failed');
    expect(dir.last_run?.message).toBe(UNKNOWN_USER);
  });

  it('syncs one known user who left the source: exactly one change, and nobody else is touched', async () => {
    const { preview, total } = await corporateAd();
    const fullSyncBefore = (await backend.directory_list()).find((d) => d.directory_key === 'corporate-ad')!.last_full_sync;
    expect(fullSyncBefore).not.toBeNull();
    const leaver = preview.changes.find((c) => c.action === 'trash')!;
    expect(leaver).toBeDefined();
    const result = await syncOne(backend, 'corporate-ad', leaver.key.toUpperCase(), 'user');
    if (result.kind !== 'report') throw new Error(`expected a report, got ${JSON.stringify(result)}`);
    expect(result.report.outcome).toBe('succeeded');
    expect(result.report.trigger).toBe('individual');
    expect(result.report.changes).toHaveLength(1);
    expect(result.report.changes[0]).toMatchObject({ object: 'user', key: leaver.key, action: 'trash' });
    expect(result.report.counts.trashed).toBe(1);
    expect(result.summary).toEqual({ tone: 'ok', text: `Moved user "${leaver.key}" to the trash.` });
    expect(reportTitle(result.report)).toBe('Individual sync finished');
    expect((await backend.users_page({ query: '', offset: 0, limit: 1 })).total).toBe(total! - 1);
    const dir = (await backend.directory_list()).find((d) => d.directory_key === 'corporate-ad')!;
    expect(dir.status).toBe('ok');
    // An individual sync does not count as a full sync.
    expect(dir.last_full_sync).toBe(fullSyncBefore);
  });

  it('syncs one known, unchanged user: zero changes and says so', async () => {
    const { managed, preview } = await corporateAd();
    const touched = new Set(preview.changes.map((c) => c.key));
    const steady = managed.find((u) => !touched.has(u))!;
    // Names match case-insensitively, as in the directory.
    const result = await syncOne(backend, 'corporate-ad', steady.toUpperCase(), 'user');
    if (result.kind !== 'report') throw new Error('expected a report');
    expect(result.report.outcome).toBe('succeeded');
    expect(result.report.counts.seen).toBe(1);
    expect(result.report.changes).toEqual([]);
    expect(result.summary).toEqual({ tone: 'ok', text: `"${steady.toUpperCase()}" is already up to date. Nothing was changed.` });
  });

  it('syncs one administrator by email in an admin sync', async () => {
    const admins = await backend.admins_page({ query: '', offset: 0, limit: 100 });
    const managed = admins.rows.find((a) => a.managed_by === 'Okta admins')!;
    const ok = await syncOne(backend, 'okta-admins', ` ${managed.email} `, 'admin');
    if (ok.kind !== 'report') throw new Error('expected a report');
    expect(ok.report.outcome).toBe('succeeded');
    expect(ok.report.changes.length).toBeLessThanOrEqual(1);
    expect(ok.report.counts.seen).toBe(1);

    const bad = await syncOne(backend, 'okta-admins', 'ghost@acme.example', 'admin');
    if (bad.kind !== 'report') throw new Error('expected a report');
    expect(bad.report.outcome).toBe('failed');
    expect(bad.report.message).toMatch(/^No administrator with the email "ghost@acme.example" was found/);
  });

  it('passes a rejection on as a readable problem', async () => {
    const result = await syncOne(backend, 'no-such-directory', 'ada', 'user');
    expect(result).toMatchObject({ kind: 'problem', code: 'not_found' });
    if (result.kind === 'problem') expect(result.message).toMatch(/no-such-directory/);
    const thrower = Object.create(backend) as MockBackend;
    thrower.sync_user = () => Promise.reject(new Error('socket closed'));
    expect(await syncOne(thrower, 'corporate-ad', 'ada', 'user')).toEqual({
      kind: 'problem',
      code: 'unknown',
      message: 'Something went wrong: socket closed',
    });
  });

  it('shows an unreachable source as a failed report', async () => {
    const result = await syncOne(backend, 'entra-contractors', 'someone', 'user');
    if (result.kind !== 'report') throw new Error('expected a report');
    expect(result.report.outcome).toBe('failed');
    expect(result.summary.tone).toBe('error');
    expect(result.summary.text).toMatch(/^Could not reach contractors\.onmicrosoft\.example/);
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
    const state = new SyncState(backend, { onerror: (e) => errors.push(e), ondatachanged: () => refreshes++ });
    const pending = state.syncUser('corporate-ad', 'nobody.here', 'user');
    expect(state.running['corporate-ad']).toBe('individual');
    expect(state.isRunning('corporate-ad')).toBe(true);
    const result = await pending;
    expect(result.kind).toBe('report');
    expect(state.report?.outcome).toBe('failed');
    expect(state.report?.message).toBe(UNKNOWN_USER);
    expect(state.running).toEqual({});
    expect(errors).toEqual([]);
    expect(refreshes).toBe(1);
  });

  it('checks the name before starting anything', async () => {
    const spy = spying(backend);
    const state = new SyncState(spy.backend, { onerror: () => {}, ondatachanged: () => {} });
    const shown = report({ run_id: 1 });
    state.show(shown);
    const result = await state.syncUser('corporate-ad', '  ', 'user');
    expect(result).toMatchObject({ kind: 'problem', code: 'validation' });
    expect(spy.calls).toEqual([]);
    expect(state.running).toEqual({});
    expect(state.report).toBe(shown); // the report on screen stays
  });

  it('returns a rejection as a problem and leaves no run flagged', async () => {
    const errors: unknown[] = [];
    const state = new SyncState(backend, { onerror: (e) => errors.push(e), ondatachanged: () => {} });
    const result = await state.syncUser('no-such-directory', 'ada', 'user');
    expect(result).toMatchObject({ kind: 'problem', code: 'not_found' });
    expect(state.report).toBeNull();
    expect(state.running).toEqual({});
    expect(errors).toEqual([]);
  });

  it('refuses a second run of a directory that is syncing', async () => {
    const slow = new MockBackend({ progressStepMs: 5 });
    const state = new SyncState(slow, { onerror: () => {}, ondatachanged: () => {} });
    const full = state.start('okta-admins', 'sync');
    const result = await state.syncUser('okta-admins', 'x@acme.example', 'admin');
    expect(result).toMatchObject({ kind: 'problem', code: 'conflict' });
    expect((await full)?.outcome).toBe('succeeded');
  });
});

describe('the "Sync one…" form', () => {
  it('drops a failed message when the input changes, when another action runs, and after a successful run', async () => {
    const state = new SyncState(backend, { onerror: () => {}, ondatachanged: () => {} });
    const form = new SyncOneForm(state);
    expect(form.toggle('corporate-ad')).toBe(true);
    form.input('nobody.here');
    await form.submit('corporate-ad', 'user');
    expect(form.result('corporate-ad')).toEqual({ tone: 'error', text: UNKNOWN_USER });

    // Typing again: the message was about what was sent before.
    form.input('nobody.her');
    expect(form.result('corporate-ad')).toBeUndefined();

    // Another action (Sync Now, Preview, Pause…) runs.
    form.input('nobody.here');
    await form.submit('corporate-ad', 'user');
    expect(form.result('corporate-ad')?.tone).toBe('error');
    form.actionStarted();
    expect(form.result('corporate-ad')).toBeUndefined();

    // A successful run of a known user replaces it.
    await form.submit('corporate-ad', 'user');
    expect(form.result('corporate-ad')?.tone).toBe('error');
    const { managed } = await corporateAd();
    form.input(managed[0]);
    await form.submit('corporate-ad', 'user');
    expect(form.result('corporate-ad')?.tone).toBe('ok');
    expect(form.result('corporate-ad')?.text).not.toContain('nobody');

    // Closing and opening another row leaves no message behind either.
    form.input('nobody.here');
    await form.submit('corporate-ad', 'user');
    form.toggle('okta-admins');
    expect(form.result('corporate-ad')).toBeUndefined();
  });
});
