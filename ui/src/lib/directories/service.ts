// Directory syncs: turning DirectorySummary into what the table shows, and the demo-directory form.

import type {
  AddedDirectory,
  Backend,
  ConnectionKindInfo,
  DemoConnectionSpec,
  DirectorySpec,
  DirectoryStatus,
  DirectorySummary,
  SyncType,
} from '../backend/backend';
import { formatAbsolute, formatAbsoluteShort, formatRelative, plural, type Tone } from '../format';
import { kindsReached, shortName } from '../kinds.svelte';

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
  schedule: 'Scheduled' | 'Paused' | 'Waiting for its first run';
  paused: boolean;
  interval: string;
  /** When it runs by itself, in a sentence (or that it doesn't). */
  scheduleDetail: string;
  /** "36 conflicts with other syncs", or null. */
  conflicts: string | null;
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

/** "30 minutes", "1 hour", "2 days". */
export function durationText(minutes: number): string {
  if (minutes > 0 && minutes % 1440 === 0) return plural(minutes / 1440, 'day');
  if (minutes > 0 && minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

/** When a sync runs by itself, as the backend's schedule says. */
export function scheduleDetail(d: DirectorySummary): string {
  if (d.schedule === 'paused') return 'On demand only';
  if (d.schedule === 'waiting') return 'Scheduled runs start after its first run: use Preview, then Sync Now.';
  if (!d.last_full_sync && !d.last_run) {
    // Added to start on its own (first_run after_interval): the schedule began when it was added.
    return `Runs ${intervalText(d.interval_minutes)}; the first run is due ${durationText(d.interval_minutes)} after it was added (or use Sync Now).`;
  }
  const every = intervalText(d.interval_minutes);
  return every.charAt(0).toUpperCase() + every.slice(1);
}

export function toDirectoryView(
  d: DirectorySummary,
  now: Date = new Date(),
  list?: readonly ConnectionKindInfo[],
): DirectoryView {
  return {
    key: d.directory_key,
    name: d.name,
    syncType: SYNC_TYPE_LABELS[d.sync_type] ?? d.sync_type,
    connectionKind: shortName(d.connection.kind, list),
    connectionName: d.connection.name,
    schedule: d.schedule === 'paused' ? 'Paused' : d.schedule === 'waiting' ? 'Waiting for its first run' : 'Scheduled',
    paused: d.schedule === 'paused',
    interval: intervalText(d.interval_minutes),
    scheduleDetail: scheduleDetail(d),
    conflicts: d.conflicts > 0 ? `${plural(d.conflicts, 'conflict')} with other syncs` : null,
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

/** The syncs in the table's order: user syncs, then admin syncs, each in their order of precedence. */
export async function loadDirectories(backend: Backend): Promise<DirectorySummary[]> {
  return orderDirectories(await backend.directory_list());
}

export function orderDirectories(list: DirectorySummary[]): DirectorySummary[] {
  const type = (d: DirectorySummary) => (d.sync_type === 'user' ? 0 : 1);
  return [...list].sort((a, b) => type(a) - type(b) || a.precedence - b.precedence || a.name.localeCompare(b.name));
}

/** How many syncs of each type there are (a sync's place runs from 1 to that). */
export function syncsOfType(list: readonly DirectorySummary[], type: SyncType): number {
  return list.filter((d) => d.sync_type === type).length;
}

/**
 * Moves a sync one place up (-1) or down (+1) in the order of precedence among the syncs of its type, and
 * returns the list again (the other syncs' places change too). The backend refuses a place out of range.
 */
export async function moveDirectory(backend: Backend, d: DirectorySummary, by: -1 | 1): Promise<DirectorySummary[]> {
  await backend.directory_update({ key: d.directory_key, patch: { precedence: d.precedence + by } });
  return loadDirectories(backend);
}

export const DEMO_MAX_USERS = 200_000;

export interface DemoForm {
  name: string;
  users: number | string | null;
  type?: SyncType;
  seed?: number;
}

/**
 * Builds the spec for a demo directory (the registry's kind generated in this process), or explains what is
 * wrong with the form.
 */
export function demoSpec(
  form: DemoForm,
  list?: readonly ConnectionKindInfo[],
): { spec: DirectorySpec & { connection: DemoConnectionSpec } } | { problem: string } {
  const kind = kindsReached('builtin', list)[0]?.kind;
  if (!kind) return { problem: 'This version of Roster has no demo directory.' };
  const name = form.name.trim();
  if (!name) return { problem: 'Enter a name for the directory.' };
  const raw = form.users;
  const users =
    typeof raw === 'number' ? raw : raw === null || raw.trim() === '' ? NaN : Number(raw.replace(/[,_\s]/g, ''));
  if (!Number.isInteger(users) || users < 1 || users > DEMO_MAX_USERS) {
    return { problem: `Enter a whole number of users from 1 to ${DEMO_MAX_USERS.toLocaleString('en-US')}.` };
  }
  return {
    spec: { name, type: form.type ?? 'user', connection: { kind, seed: form.seed ?? 7, users } },
  };
}

/** Adds a demo directory; throws {code:'validation'} for a bad form without calling the backend. */
export async function addDemoDirectory(
  backend: Backend,
  form: DemoForm,
  list?: readonly ConnectionKindInfo[],
): Promise<AddedDirectory> {
  const built = demoSpec(form, list);
  if ('problem' in built) throw { code: 'validation', message: built.problem };
  return backend.directory_add({ spec: built.spec });
}

/** Pauses or resumes the schedule and returns the updated summary. */
export function setPaused(backend: Backend, key: string, paused: boolean): Promise<DirectorySummary> {
  return paused ? backend.directory_pause({ key }) : backend.directory_resume({ key });
}

/** Replaces one summary in a list (after pause/resume) without reloading everything. */
export function replaceDirectory(list: DirectorySummary[], updated: DirectorySummary): DirectorySummary[] {
  return list.map((d) => (d.directory_key === updated.directory_key ? updated : d));
}
