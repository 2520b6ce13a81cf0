// Directory syncs: turning DirectorySummary into what the table shows, and the demo-directory form.

import type {
  Backend,
  ConnectionKind,
  DemoDirectorySpec,
  DirectoryStatus,
  DirectorySummary,
  SyncType,
} from '../backend/backend';
import { formatAbsolute, formatAbsoluteShort, formatRelative, plural, type Tone } from '../format';

export const CONNECTION_LABELS: Record<ConnectionKind, string> = {
  demo: 'Demo',
  active_directory: 'Active Directory',
  openldap: 'OpenLDAP',
  entra: 'Microsoft Entra ID',
  google: 'Google Workspace',
  okta: 'Okta',
  scim: 'SCIM',
};

export const SYNC_TYPE_LABELS: Record<SyncType, string> = {
  user: 'User sync',
  admin: 'Admin sync',
};

export const STATUS_BADGES: Record<DirectoryStatus, { label: string; tone: Tone }> = {
  never_synced: { label: 'Never synced', tone: 'grey' },
  ok: { label: 'OK', tone: 'green' },
  failed: { label: 'Failed', tone: 'red' },
  held: { label: 'Held for approval', tone: 'orange' },
  running: { label: 'Syncing', tone: 'blue' },
};

export interface DirectoryView {
  key: string;
  name: string;
  syncType: string;
  connectionKind: string;
  connectionName: string;
  schedule: 'Scheduled' | 'Paused';
  paused: boolean;
  interval: string;
  lastFullSync: { relative: string; absolute: string; short: string; iso: string } | null;
  status: { label: string; tone: Tone };
  managed: string;
  lastRunMessage: string | null;
}

export function intervalText(minutes: number): string {
  if (minutes > 0 && minutes % 1440 === 0) return minutes === 1440 ? 'every day' : `every ${minutes / 1440} days`;
  if (minutes > 0 && minutes % 60 === 0) return minutes === 60 ? 'every hour' : `every ${minutes / 60} hours`;
  return minutes === 1 ? 'every minute' : `every ${minutes} minutes`;
}

export function toDirectoryView(d: DirectorySummary, now: Date = new Date()): DirectoryView {
  return {
    key: d.directory_key,
    name: d.name,
    syncType: SYNC_TYPE_LABELS[d.sync_type] ?? d.sync_type,
    connectionKind: CONNECTION_LABELS[d.connection.kind] ?? d.connection.kind,
    connectionName: d.connection.name,
    schedule: d.schedule === 'paused' ? 'Paused' : 'Scheduled',
    paused: d.schedule === 'paused',
    interval: intervalText(d.interval_minutes),
    lastFullSync: d.last_full_sync
      ? {
          relative: formatRelative(d.last_full_sync, now),
          absolute: formatAbsolute(d.last_full_sync),
          short: formatAbsoluteShort(d.last_full_sync, now),
          iso: d.last_full_sync,
        }
      : null,
    status: STATUS_BADGES[d.status] ?? { label: d.status, tone: 'grey' },
    managed: d.sync_type === 'admin' ? plural(d.user_count, 'admin') : plural(d.user_count, 'user'),
    lastRunMessage: d.last_run?.outcome === 'failed' ? d.last_run.message : null,
  };
}

export async function loadDirectories(backend: Backend): Promise<DirectorySummary[]> {
  return backend.directory_list();
}

export const DEMO_MAX_USERS = 200_000;

export interface DemoForm {
  name: string;
  users: number | string | null;
  type?: SyncType;
  seed?: number;
}

/** Builds the spec for a demo directory, or explains what is wrong with the form. */
export function demoSpec(form: DemoForm): { spec: DemoDirectorySpec } | { problem: string } {
  const name = form.name.trim();
  if (!name) return { problem: 'Enter a name for the directory.' };
  const raw = form.users;
  const users =
    typeof raw === 'number' ? raw : raw === null || raw.trim() === '' ? NaN : Number(raw.replace(/[,_\s]/g, ''));
  if (!Number.isInteger(users) || users < 1 || users > DEMO_MAX_USERS) {
    return { problem: `Enter a whole number of users from 1 to ${DEMO_MAX_USERS.toLocaleString('en-US')}.` };
  }
  return {
    spec: { name, type: form.type ?? 'user', connection: { kind: 'demo', seed: form.seed ?? 7, users } },
  };
}

/** Adds a demo directory; throws {code:'validation'} for a bad form without calling the backend. */
export async function addDemoDirectory(backend: Backend, form: DemoForm): Promise<string> {
  const built = demoSpec(form);
  if ('problem' in built) throw { code: 'validation', message: built.problem };
  const { directory_key } = await backend.directory_add({ spec: built.spec });
  return directory_key;
}

/** Pauses or resumes the schedule and returns the updated summary. */
export function setPaused(backend: Backend, key: string, paused: boolean): Promise<DirectorySummary> {
  return paused ? backend.directory_pause({ key }) : backend.directory_resume({ key });
}

/** Replaces one summary in a list (after pause/resume) without reloading everything. */
export function replaceDirectory(list: DirectorySummary[], updated: DirectorySummary): DirectorySummary[] {
  return list.map((d) => (d.directory_key === updated.directory_key ? updated : d));
}
