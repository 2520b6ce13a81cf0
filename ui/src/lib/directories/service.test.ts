import { beforeAll, describe, expect, it } from 'vitest';
import type { DirectorySummary } from '../backend/backend';
import { emptyCounts } from '../backend/backend';
import { RECORDING, recorded, recordedSyncs, refusal, replay, useRecordedKinds } from '../backend/testing';
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

beforeAll(() => {
  useRecordedKinds();
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
    attributes: { username: 'sAMAccountName', email: 'mail' },
    roles: {},
    precedence: 1,
    conflicts: 0,
    ...over,
  };
}

/** A backend answering from the recording, with the story just after the call `at` says. */
function replayAfter(at: (c: (typeof RECORDING.calls)[number]) => boolean) {
  const i = RECORDING.calls.findIndex(at);
  if (i < 0) throw new Error('no such recorded call');
  return replay().from(i + 1);
}

describe('directory view mapping', () => {
  it('maps a summary to display strings, the kind by its name in the registry', () => {
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
    expect(failed.connectionKind).toBe('Entra ID');
    expect(failed.lastRunMessage).toBe('Could not reach the server.');
  });

  it('describes intervals', () => {
    expect(intervalText(30)).toBe('every 30 minutes');
    expect(intervalText(240)).toBe('every 4 hours');
    expect(intervalText(1440)).toBe('every day');
  });

  it('lists the recorded syncs: user syncs, then admin syncs, each in their order of precedence', async () => {
    const backend = replayAfter((c) => c.cmd === 'directory_update' && JSON.stringify(c.args).includes('precedence'));
    const list = await loadDirectories(backend);
    expect(list.map((d) => [d.sync_type, d.precedence])).toEqual([
      ['user', 1],
      ['user', 2],
      ['admin', 1],
    ]);
    const views = list.map((d) => toDirectoryView(d, now));
    expect(views.map((v) => v.connectionKind)).toEqual(['Demo', 'Demo', 'Demo']);
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
  it('moves a sync one place up: the backend says where every sync is then', async () => {
    const backend = replayAfter((c) => c.cmd === 'directory_add' && c.ok !== undefined);
    const list = await loadDirectories(backend);
    const added = list.find((d) => d.precedence === 2)!;
    expect(syncsOfType(list, 'user')).toBe(2);
    const moved = await moveDirectory(backend, added, -1);
    expect(moved.find((d) => d.directory_key === added.directory_key)?.precedence).toBe(1);
    expect(moved.filter((d) => d.sync_type === 'user').map((d) => d.precedence)).toEqual([1, 2]);
  });
});

describe('demo directories', () => {
  it('builds the spec from the form, with the registry’s built-in kind', () => {
    const demo = recordedSyncs().user.connection.kind;
    expect(demoSpec({ name: ' Demo directory ', users: '1,000' })).toEqual({
      spec: { name: 'Demo directory', type: 'user', connection: { kind: demo, seed: 7, users: 1000 } },
    });
    expect(demoSpec({ name: '', users: 5 })).toEqual({ problem: 'Enter a name for the directory.' });
    expect('problem' in demoSpec({ name: 'x', users: 0 })).toBe(true);
    expect('problem' in demoSpec({ name: 'x', users: '2.5' })).toBe(true);
    expect('problem' in demoSpec({ name: 'x', users: 200_001 })).toBe(true);
    expect(demoSpec({ name: 'x', users: 5 }, [])).toEqual({ problem: 'This version of Roster has no demo directory.' });
  });

  it('adds a demo directory as the form sends it, and passes on the refusal of a name taken', async () => {
    const backend = replay();
    const added = await addDemoDirectory(backend, { name: 'Demo directory', users: 300 });
    expect(added).toEqual(recorded('directory_add'));
    const listed = (await loadDirectories(backend)).find((d) => d.directory_key === added.directory_key);
    expect(listed).toMatchObject({ name: 'Demo directory', status: 'never_synced', schedule: 'waiting' });
    const err = await addDemoDirectory(backend, { name: 'Demo directory', users: 300 }).catch((e: unknown) => e);
    expect(toUserError(err)).toEqual(refusal('directory_add', { spec: { name: 'Demo directory', type: 'user', connection: { kind: listed!.connection.kind, seed: 7, users: 300 } } }));
    const bad = await addDemoDirectory(backend, { name: 'Other', users: -1 }).catch((e: unknown) => e);
    expect(toUserError(bad).code).toBe('validation');
  });
});

describe('pause and resume', () => {
  it('toggles the schedule and replaces the row', async () => {
    const backend = replay();
    const list = await loadDirectories(backend);
    const { admin } = recordedSyncs();
    const paused = await setPaused(backend, admin.directory_key, true);
    expect(paused.schedule).toBe('paused');
    const next = replaceDirectory(list, paused);
    expect(next.find((d) => d.directory_key === admin.directory_key)?.schedule).toBe('paused');
    expect(next).toHaveLength(list.length);
    expect((await setPaused(backend, admin.directory_key, false)).schedule).not.toBe('paused');
  });
});
