import { beforeEach, describe, expect, it } from 'vitest';
import type { DirectorySummary } from '../backend/backend';
import { emptyCounts } from '../backend/backend';
import { MockBackend } from '../backend/mock';
import { toUserError } from '../error/userError';
import {
  addDemoDirectory,
  demoSpec,
  intervalText,
  loadDirectories,
  moveDirectory,
  replaceDirectory,
  setPaused,
  syncsOfType,
  toDirectoryView,
} from './service';

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

const now = new Date('2026-11-28T20:35:00Z');

function summary(over: Partial<DirectorySummary> = {}): DirectorySummary {
  return {
    directory_key: 'hr',
    name: 'HR',
    sync_type: 'user',
    connection: { id: 'c1', kind: 'active_directory', name: 'ad.example' },
    schedule: 'scheduled',
    interval_minutes: 60,
    last_full_sync: '2026-11-28T18:35:00Z',
    status: 'ok',
    last_run: null,
    user_count: 12345,
    groups: ['cn=hr,ou=groups,dc=example,dc=org'],
    deletion_threshold_percent: 10,
    username_attribute: 'sAMAccountName',
    precedence: 1,
    conflicts: 0,
    ...over,
  };
}

describe('directory view mapping', () => {
  it('maps a summary to display strings', () => {
    const v = toDirectoryView(summary(), now);
    expect(v.syncType).toBe('User sync');
    expect(v.connectionKind).toBe('Active Directory');
    expect(v.schedule).toBe('Scheduled');
    expect(v.paused).toBe(false);
    expect(v.lastFullSync?.relative).toBe('2 hours ago');
    expect(v.lastFullSync?.absolute).toMatch(/2026/);
    expect(v.status).toEqual({ label: 'OK', tone: 'green' });
    expect(v.managed).toBe('12,345 users');
    expect(v.interval).toBe('every hour');
  });

  it('maps admin syncs, paused schedules, never-synced and failed directories', () => {
    const v = toDirectoryView(
      summary({ sync_type: 'admin', schedule: 'paused', last_full_sync: null, status: 'never_synced', user_count: 1 }),
      now,
    );
    expect(v.syncType).toBe('Admin sync');
    expect(v.schedule).toBe('Paused');
    expect(v.lastFullSync).toBeNull();
    expect(v.status.label).toBe('Never synced');
    expect(v.managed).toBe('1 admin');
    const failed = toDirectoryView(
      summary({
        status: 'failed',
        connection: { id: 'c', kind: 'entra', name: 'x' },
        last_run: {
          run_id: 1, directory_key: 'hr', directory_name: 'HR', trigger: 'schedule', outcome: 'failed',
          started_at: '2026-11-28T20:00:00Z', finished_at: '2026-11-28T20:01:00Z', counts: emptyCounts(),
          message: 'Could not reach the server.',
        },
      }),
      now,
    );
    expect(failed.status.tone).toBe('red');
    expect(failed.connectionKind).toBe('Microsoft Entra ID');
    expect(failed.lastRunMessage).toBe('Could not reach the server.');
  });

  it('describes intervals', () => {
    expect(intervalText(30)).toBe('every 30 minutes');
    expect(intervalText(240)).toBe('every 4 hours');
    expect(intervalText(1440)).toBe('every day');
  });

  it('maps the mock directories: user syncs, then admin syncs, each in their order of precedence', async () => {
    const views = (await loadDirectories(backend)).map((d) => toDirectoryView(d, now));
    expect(views.map((v) => v.name)).toEqual(['Corporate AD', 'Entra contractors', 'Google staff', 'Okta admins']);
    expect(views[0].managed).toBe('250 users');
    expect(views[3]).toMatchObject({ syncType: 'Admin sync', schedule: 'Paused', connectionKind: 'Okta' });
    expect(views[1].status.label).toBe('Failed');
    expect(views[2]).toMatchObject({ connectionKind: 'Google Workspace', status: { label: 'Failed', tone: 'red' } });
    expect(views[2].lastRunMessage).toMatch(/revoked or has expired/);
  });

  it('says when a sync runs by itself: waiting for its first run, due after it was added, or every interval', () => {
    const waiting = toDirectoryView(summary({ schedule: 'waiting', last_full_sync: null, status: 'never_synced' }), now);
    expect(waiting.schedule).toBe('Waiting for its first run');
    expect(waiting.scheduleDetail).toBe('Scheduled runs start after its first run: use Preview, then Sync Now.');
    const due = toDirectoryView(summary({ schedule: 'scheduled', last_full_sync: null, status: 'never_synced', interval_minutes: 30 }), now);
    expect(due.schedule).toBe('Scheduled');
    expect(due.scheduleDetail).toBe('Runs every 30 minutes; the first run is due 30 minutes after it was added (or use Sync Now).');
    expect(toDirectoryView(summary({ interval_minutes: 60 }), now).scheduleDetail).toBe('Every hour');
    expect(toDirectoryView(summary({ schedule: 'paused' }), now).scheduleDetail).toBe('On demand only');
    expect(toDirectoryView(summary({ conflicts: 36 }), now).conflicts).toBe('36 conflicts with other syncs');
    expect(toDirectoryView(summary({ conflicts: 0 }), now).conflicts).toBeNull();
  });
});

describe('order of precedence', () => {
  it('moves a sync up and down among the syncs of its type, and the others make room', async () => {
    const place = async () =>
      Object.fromEntries((await loadDirectories(backend)).map((d) => [d.directory_key, d.precedence]));
    expect(await place()).toEqual({ 'corporate-ad': 1, 'entra-contractors': 2, 'google-staff': 3, 'okta-admins': 1 });
    const google = (await loadDirectories(backend)).find((d) => d.directory_key === 'google-staff')!;
    const list = await moveDirectory(backend, google, -1);
    expect(list.map((d) => d.directory_key)).toEqual(['corporate-ad', 'google-staff', 'entra-contractors', 'okta-admins']);
    expect(await place()).toEqual({ 'corporate-ad': 1, 'google-staff': 2, 'entra-contractors': 3, 'okta-admins': 1 });
    const okta = list.find((d) => d.directory_key === 'okta-admins')!;
    expect(syncsOfType(list, 'admin')).toBe(1);
    await expect(moveDirectory(backend, okta, 1)).rejects.toMatchObject({
      code: 'conflict',
      message: 'There are 1 syncs of this type: the position must be between 1 and 1.',
    });
  });

  it('puts what two syncs both find with the one that comes first, and reports it on both sides', async () => {
    // Corporate AD comes first; a second sync over the same users leaves them to it.
    const { directory_key: key } = await backend.directory_add({
      spec: { name: 'Second AD', type: 'user', connection: { kind: 'demo', seed: 42, users: 250 } },
    });
    const second = await backend.sync_run({ key, dry_run: false, approve: false });
    expect(second.counts.conflicts).toBeGreaterThan(200);
    expect(second.conflicts.every((c) => !c.kept && c.other_name === 'Corporate AD')).toBe(true);
    expect(second.conflicts[0].message).toMatch(/^The sync "Corporate AD" manages this user and comes first/);
    const first = await backend.sync_run({ key: 'corporate-ad', dry_run: true, approve: false });
    expect(first.conflicts.filter((c) => c.kept)).toHaveLength(second.counts.conflicts);
    const listed = (await loadDirectories(backend)).find((d) => d.directory_key === key)!;
    expect(listed.conflicts).toBe(second.counts.conflicts);
  });
});

describe('demo directories', () => {
  it('builds the spec from the form', () => {
    expect(demoSpec({ name: ' Demo directory ', users: '1,000' })).toEqual({
      spec: { name: 'Demo directory', type: 'user', connection: { kind: 'demo', seed: 7, users: 1000 } },
    });
    expect(demoSpec({ name: '', users: 5 })).toEqual({ problem: 'Enter a name for the directory.' });
    expect('problem' in demoSpec({ name: 'x', users: 0 })).toBe(true);
    expect('problem' in demoSpec({ name: 'x', users: '2.5' })).toBe(true);
    expect('problem' in demoSpec({ name: 'x', users: 200_001 })).toBe(true);
  });

  it('adds a demo directory that then syncs its users', async () => {
    const { directory_key: key, conflicts } = await addDemoDirectory(backend, { name: 'Demo directory', users: 300 });
    expect(conflicts).toEqual([]); // its own demo source: no other sync reads it
    const list = await loadDirectories(backend);
    const added = list.find((d) => d.directory_key === key)!;
    expect(added).toMatchObject({ name: 'Demo directory', status: 'never_synced', user_count: 0, schedule: 'waiting', precedence: 4 });
    expect(added.connection.kind).toBe('demo');
    const report = await backend.sync_run({ key, dry_run: false, approve: false });
    expect(report.outcome).toBe('succeeded');
    const after = (await loadDirectories(backend)).find((d) => d.directory_key === key)!;
    expect(after).toMatchObject({ status: 'ok', schedule: 'scheduled' });
    // Users Corporate AD (first in the order of precedence) already manages stay with it: conflicts, not skips.
    expect(after.user_count + report.counts.conflicts).toBe(300);
    expect(report.conflicts).toHaveLength(report.counts.conflicts);
    expect(after.conflicts).toBe(report.counts.conflicts);
  });

  it('rejects a duplicate name with a readable conflict', async () => {
    await addDemoDirectory(backend, { name: 'Demo', users: 5 });
    const err = await addDemoDirectory(backend, { name: 'demo', users: 5 }).catch((e: unknown) => e);
    expect(toUserError(err)).toMatchObject({ code: 'conflict' });
    const bad = await addDemoDirectory(backend, { name: 'Other', users: -1 }).catch((e: unknown) => e);
    expect(toUserError(bad).code).toBe('validation');
  });
});

describe('pause and resume', () => {
  it('toggles the schedule and replaces the row', async () => {
    const list = await loadDirectories(backend);
    const paused = await setPaused(backend, 'corporate-ad', true);
    expect(paused.schedule).toBe('paused');
    const next = replaceDirectory(list, paused);
    expect(next.find((d) => d.directory_key === 'corporate-ad')?.schedule).toBe('paused');
    expect(next).toHaveLength(list.length);
    expect((await setPaused(backend, 'corporate-ad', false)).schedule).toBe('scheduled');
  });
});
