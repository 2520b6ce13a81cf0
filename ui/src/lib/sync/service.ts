// Sync runs: starting them, following their progress and summarising their reports.

import type {
  Action,
  Backend,
  Change,
  ObjectKind,
  Code,
  Conflict,
  Counts,
  EntryError,
  FieldChange,
  RunOutcome,
  ProgressPhase,
  RunReport,
  RunSummary,
  ProgressEvent,
  SyncType,
  RunTrigger,
  Unlisten,
} from '../backend/backend';
import { toUserError } from '../error/userError';
import { formatNumber, plural, type Tone } from '../format';

export const OUTCOME_BADGES: Record<RunOutcome, { label: string; tone: Tone }> = {
  running: { label: 'Running', tone: 'blue' },
  succeeded: { label: 'Succeeded', tone: 'green' },
  failed: { label: 'Failed', tone: 'red' },
  held: { label: 'Held for approval', tone: 'orange' },
  approved: { label: 'Approved and applied', tone: 'accent' },
  preview: { label: 'Preview', tone: 'grey' },
  interrupted: { label: 'Interrupted', tone: 'orange' },
  discarded: { label: 'Discarded', tone: 'grey' },
};

export const TRIGGER_LABELS: Record<RunTrigger, string> = {
  schedule: 'Scheduled',
  manual: 'Sync Now',
  individual: 'Single user',
  api: 'API',
  scim: 'SCIM push',
  preview: 'Preview',
};

/** The actions the planner writes in a change: the generated Rust enum, so a new action fails the build here. */
export type ChangeAction = Action;

export const ACTION_LABELS: Record<ChangeAction, string> = {
  create: 'Create',
  update: 'Update',
  take_over: 'Take over',
  disable: 'Disable',
  enable: 'Enable',
  trash: 'Move to trash',
  restore: 'Restore',
  purge: 'Delete for good',
  delete: 'Delete',
};

export const ACTION_TONES: Record<ChangeAction, Tone> = {
  create: 'green',
  update: 'blue',
  take_over: 'accent',
  disable: 'grey',
  enable: 'green',
  trash: 'orange',
  restore: 'blue',
  purge: 'red',
  delete: 'red',
};

export const OBJECT_LABELS: Record<ObjectKind, string> = { user: 'User', group: 'Group', admin: 'Admin' };

/** Order and wording of the counts in a report summary. */
export const COUNT_LABELS: [keyof Counts, string][] = [
  ['seen', 'seen'],
  ['created', 'created'],
  ['updated', 'updated'],
  ['taken_over', 'taken over'],
  ['disabled', 'disabled'],
  ['enabled', 'enabled'],
  ['trashed', 'moved to trash'],
  ['restored', 'restored'],
  ['purged', 'deleted for good'],
  ['groups_created', 'groups created'],
  ['groups_updated', 'groups updated'],
  ['groups_deleted', 'groups deleted'],
  ['skipped', 'skipped'],
  ['conflicts', 'conflicts with other syncs'],
  ['memberships', 'memberships updated for other syncs’ users'],
];

export interface CountItem {
  key: keyof Counts;
  value: number;
  label: string;
  text: string;
}

/** The counts worth showing: "seen" always, the others only when not zero. */
export function summariseCounts(counts: Counts): CountItem[] {
  return COUNT_LABELS.filter(([key]) => key === 'seen' || (counts[key] ?? 0) > 0).map(([key, label]) => ({
    key,
    value: counts[key] ?? 0,
    label,
    text: `${formatNumber(counts[key] ?? 0)} ${label}`,
  }));
}

export function summaryLine(counts: Counts): string {
  return summariseCounts(counts)
    .map((c) => c.text)
    .join(' · ');
}

/** Number of changes a run made (or would make), from its counts. */
export function changedCount(counts: Counts): number {
  return COUNT_LABELS.filter(([k]) => k !== 'seen' && k !== 'skipped' && k !== 'conflicts').reduce(
    (n, [k]) => n + (counts[k] ?? 0),
    0,
  );
}

export function reportTitle(report: Pick<RunSummary, 'trigger' | 'outcome'>): string {
  if (report.trigger === 'individual') {
    switch (report.outcome) {
      case 'succeeded':
      case 'approved':
        return 'Individual sync finished';
      case 'failed':
        return 'Individual sync failed';
      case 'interrupted':
        return 'Individual sync interrupted';
      case 'running':
        return 'Individual sync running';
      default:
        break; // held or preview: worded as for any run
    }
  }
  switch (report.outcome) {
    case 'preview':
      return 'Preview — nothing was changed';
    case 'held':
      return 'Sync held for approval — nothing was changed';
    case 'approved':
      return 'Sync approved and applied';
    case 'succeeded':
      return 'Sync finished';
    case 'failed':
      return 'Sync failed';
    case 'interrupted':
      return 'Sync interrupted';
    case 'discarded':
      return 'Held sync discarded — nothing was changed';
    case 'running':
      return 'Sync running';
  }
  return 'Sync';
}

/** A field value as shown in a report: "(none)" when there is no value, "(empty)" for an empty string. */
export function describeValue(v: string | null): string {
  if (v === null) return '(none)';
  return v === '' ? '(empty)' : v;
}

/** "field: before → after", always with both sides (a missing side reads "(none)"). */
export function formatFieldChange(f: FieldChange): string {
  return `${f.field}: ${describeValue(f.before)} → ${describeValue(f.after)}`;
}

export interface ChangeRow {
  id: string;
  object: string;
  key: string;
  action: string;
  tone: Tone;
  fields: FieldChange[];
  reason: string;
}

export function toChangeRow(c: Change, index: number): ChangeRow {
  return {
    id: `${c.object}:${c.key}:${index}`,
    object: OBJECT_LABELS[c.object] ?? c.object,
    key: c.key,
    action: ACTION_LABELS[c.action],
    tone: ACTION_TONES[c.action],
    fields: c.fields,
    reason: c.reason,
  };
}

/** The first `limit` of the changes read so far as display rows, plus how many were left out. */
export function changeRows(changes: readonly Change[], limit = 200, filter = ''): { rows: ChangeRow[]; hidden: number; matching: number } {
  const q = filter.trim().toLowerCase();
  const all = changes.map(toChangeRow);
  const matching = q
    ? all.filter((r) => r.key.toLowerCase().includes(q) || r.action.toLowerCase().includes(q) || r.object.toLowerCase().includes(q))
    : all;
  return { rows: matching.slice(0, limit), hidden: Math.max(0, matching.length - limit), matching: matching.length };
}

export interface ConflictRow {
  id: string;
  object: string;
  key: string;
  /** Who keeps it: "Kept by this sync" or "Left to “Staff”". */
  keeper: string;
  kept: boolean;
  message: string;
}

/** A conflict as the report lists it: what, who keeps it, and the backend's explanation. */
export function toConflictRow(c: Conflict, index: number): ConflictRow {
  return {
    id: `${c.object}:${c.key}:${c.other}:${index}`,
    object: OBJECT_LABELS[c.object] ?? c.object,
    key: c.key,
    keeper: c.kept ? 'Kept by this sync' : `Left to “${c.other_name}”`,
    kept: c.kept,
    message: c.message,
  };
}

/** A skipped entry: its DN or sign-in name, with its display name when it has one. */
export function entryLabel(e: EntryError): string {
  const name = e.name?.trim();
  return name && name !== e.key ? `${e.key} (${name})` : e.key;
}

// ---------- running ----------

export type RunMode = 'sync' | 'preview' | 'approve';

export function runArgs(key: string, mode: RunMode): { key: string; dry_run: boolean; approve: boolean } {
  return { key, dry_run: mode === 'preview', approve: mode === 'approve' };
}

export function runSync(backend: Backend, key: string, mode: RunMode): Promise<RunReport> {
  return backend.sync_run(runArgs(key, mode));
}

/**
 * Runs a sync and always tries to end with a report to show. The contract returns a held run as a
 * RunReport with outcome "held"; should a backend instead reject with code "held", the held run is
 * looked up in the history so its reason and the "Approve and apply" button can still be shown.
 * Any other rejection is passed on.
 */
export async function runSyncForReport(backend: Backend, key: string, mode: RunMode): Promise<RunReport> {
  try {
    return await runSync(backend, key, mode);
  } catch (err) {
    if (toUserError(err).code !== 'held') throw err;
    let held: RunReport | null = null;
    try {
      const [latest] = await backend.runs_list({ key, limit: 1 });
      if (latest) held = await backend.run_detail({ run_id: latest.run_id });
    } catch {
      // fall through: report the original rejection
    }
    if (!held) throw err;
    if (!held.held_reason) held = { ...held, held_reason: toUserError(err).message };
    return held;
  }
}

// ---------- individual sync ("Sync one…", as Duo's "Sync Individual Users") ----------

/** What the one input of the individual-sync form asks for: user syncs match by username, admin syncs by email. */
export function syncOneLabel(syncType: SyncType): 'Username' | 'Email' {
  return syncType === 'admin' ? 'Email' : 'Username';
}

/** Trims the typed name, or explains what is missing. Nothing is sent to the backend for a blank name. */
export function checkSyncOneInput(raw: string | null | undefined, syncType: SyncType): { username: string } | { problem: string } {
  const username = (raw ?? '').trim();
  if (!username) {
    return {
      problem:
        syncType === 'admin'
          ? 'Enter the email of the administrator to sync.'
          : 'Enter the username of the user to sync.',
    };
  }
  return { username };
}

export type SyncOneTone = 'ok' | 'warning' | 'error';

/** One line for next to the form; the full report goes to the report panel. */
export interface SyncOneSummary {
  tone: SyncOneTone;
  text: string;
}

export type SyncOneResult =
  | { kind: 'report'; report: RunReport; summary: SyncOneSummary }
  | { kind: 'problem'; code: Code; message: string };

const OBJECT_NOUNS: Record<ObjectKind, string> = { user: 'user', group: 'group', admin: 'administrator' };

function describeIndividualChange(c: Change): string {
  const who = `${OBJECT_NOUNS[c.object] ?? c.object} "${c.key}"`;
  switch (c.action) {
    case 'create':
      return `Created ${who}.`;
    case 'update': {
      const names = c.fields.map((f) => f.field);
      return names.length ? `Updated ${who}: ${names.join(', ')}.` : `Updated ${who}.`;
    }
    case 'take_over':
      return `Took over ${who}; this sync manages it from now on.`;
    case 'disable':
      return `Disabled ${who}.`;
    case 'enable':
      return `Enabled ${who} again.`;
    case 'trash':
      return `Moved ${who} to the trash.`;
    case 'restore':
      return `Restored ${who} from the trash.`;
    case 'purge':
      return `Deleted ${who} for good.`;
    case 'delete':
      return `Removed ${who}.`;
  }
  return `${ACTION_LABELS[c.action]}: ${who}.`;
}

/** Sums up the report of an individual sync in one line, saying plainly when it failed or changed nothing. */
export function summariseIndividual(report: RunReport, username: string): SyncOneSummary {
  if (report.outcome === 'failed' || report.outcome === 'interrupted') {
    return { tone: 'error', text: report.message?.trim() || `The sync of "${username}" did not finish. Nothing was changed.` };
  }
  if (report.outcome === 'held') {
    return { tone: 'warning', text: report.held_reason ?? report.message ?? 'The run was held for approval. Nothing was changed.' };
  }
  // The person's own change comes first; any group the run had to create is counted after it.
  const main = report.changes.find((c) => c.object !== 'group') ?? report.changes[0];
  if (!main) {
    if (report.errors.length > 0) return { tone: 'warning', text: report.errors[0].message };
    return { tone: 'ok', text: `"${username}" is already up to date. Nothing was changed.` };
  }
  const others = report.changes.length - 1;
  const more = others > 0 ? ` ${plural(others, 'other change')} in the report.` : '';
  return { tone: 'ok', text: describeIndividualChange(main) + more };
}

/**
 * Syncs one user (or, for admin syncs, one administrator by email) now. A blank name is refused
 * without calling the backend; the name is trimmed. A run that ends as "failed" (e.g. an unknown
 * name) is a report like any other; a rejected command becomes a problem to show next to the form.
 */
export async function syncOne(backend: Backend, key: string, raw: string, syncType: SyncType = 'user'): Promise<SyncOneResult> {
  const checked = checkSyncOneInput(raw, syncType);
  if ('problem' in checked) return { kind: 'problem', code: 'validation', message: checked.problem };
  try {
    const report = await backend.sync_user({ key, username: checked.username });
    return { kind: 'report', report, summary: summariseIndividual(report, checked.username) };
  } catch (err) {
    const { code, message } = toUserError(err);
    return { kind: 'problem', code, message };
  }
}

export const HISTORY_LIMIT = 200;

export async function loadHistory(backend: Backend, key: string | null = null, limit = HISTORY_LIMIT): Promise<RunSummary[]> {
  const runs = await backend.runs_list({ key, limit });
  // The contract says newest first; sort anyway so the table never depends on it.
  return [...runs].sort((a, b) => b.started_at.localeCompare(a.started_at) || b.run_id - a.run_id);
}

// ---------- progress ----------

export const PHASE_LABELS: Record<ProgressPhase, string> = {
  fetching: 'Reading the source directory',
  planning: 'Working out the changes',
  applying: 'Applying changes',
  done: 'Finished',
  failed: 'Failed',
  held: 'Held for approval',
};

export interface ProgressView {
  key: string;
  runId: number | null;
  phase: ProgressPhase;
  phaseLabel: string;
  done: number;
  total: number;
  /** 0–100, or null when the total is not known yet. */
  percent: number | null;
  message: string;
  finished: boolean;
}

/** Keeps the latest `sync-progress` event of every directory. Pure: no timers, no DOM. */
export class ProgressTracker {
  private byKey = new Map<string, ProgressView>();

  apply(p: ProgressEvent): ProgressView {
    const prev = this.byKey.get(p.directory_key);
    // Ignore a late event from an older run of the same directory.
    if (prev && prev.runId !== null && p.run_id !== null && p.run_id < prev.runId) return prev;
    const total = Math.max(0, p.total);
    const done = Math.min(Math.max(0, p.done), total || Math.max(0, p.done));
    const v: ProgressView = {
      key: p.directory_key,
      runId: p.run_id,
      phase: p.phase,
      phaseLabel: PHASE_LABELS[p.phase] ?? p.phase,
      done,
      total,
      percent: total > 0 ? Math.min(100, Math.round((done / total) * 100)) : null,
      message: p.message,
      finished: p.phase === 'done' || p.phase === 'failed' || p.phase === 'held',
    };
    this.byKey.set(p.directory_key, v);
    return v;
  }

  get(key: string): ProgressView | undefined {
    return this.byKey.get(key);
  }

  clear(key: string): void {
    this.byKey.delete(key);
  }

  list(): ProgressView[] {
    return [...this.byKey.values()];
  }
}

/** Subscribes a tracker to the backend's progress events; `onChange` fires after each event. */
export function trackProgress(backend: Backend, tracker: ProgressTracker, onChange: (v: ProgressView) => void): Promise<Unlisten> {
  return backend.onSyncProgress((p) => onChange(tracker.apply(p)));
}
