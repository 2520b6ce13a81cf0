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
  replaceDirectory,
  setPaused,
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

  it('maps the mock directories', async () => {
    const views = (await loadDirectories(backend)).map((d) => toDirectoryView(d, now));
    expect(views.map((v) => v.name)).toEqual(['Corporate AD', 'Okta admins', 'Entra contractors', 'Google staff']);
    expect(views[0].managed).toBe('250 users');
    expect(views[1]).toMatchObject({ syncType: 'Admin sync', schedule: 'Paused', connectionKind: 'Okta' });
    expect(views[2].status.label).toBe('Failed');
    expect(views[3]).toMatchObject({ connectionKind: 'Google Workspace', status: { label: 'Failed', tone: 'red' } });
    expect(views[3].lastRunMessage).toMatch(/revoked or has expired/);
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
    const key = await addDemoDirectory(backend, { name: 'Demo directory', users: 300 });
    const list = await loadDirectories(backend);
    const added = list.find((d) => d.directory_key === key)!;
    expect(added).toMatchObject({ name: 'Demo directory', status: 'never_synced', user_count: 0 });
    expect(added.connection.kind).toBe('demo');
    const report = await backend.sync_run({ key, dry_run: false, approve: false });
    expect(report.outcome).toBe('succeeded');
    const after = (await loadDirectories(backend)).find((d) => d.directory_key === key)!;
    expect(after.status).toBe('ok');
    expect(after.user_count + report.counts.skipped).toBe(300);
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
