// Sync runs: starting them, following their progress and summarising their reports.

import type {
  Backend,
  Change,
  ChangeAction,
  ChangeObject,
  Counts,
  FieldChange,
  Outcome,
  ProgressPhase,
  RunReport,
  RunSummary,
  SyncProgress,
  Trigger,
  Unlisten,
} from '../backend/backend';
import { toUserError } from '../error/userError';
import { formatNumber, type Tone } from '../format';

export const OUTCOME_BADGES: Record<Outcome, { label: string; tone: Tone }> = {
  running: { label: 'Running', tone: 'blue' },
  succeeded: { label: 'Succeeded', tone: 'green' },
  failed: { label: 'Failed', tone: 'red' },
  held: { label: 'Held for approval', tone: 'orange' },
  approved: { label: 'Approved and applied', tone: 'accent' },
  preview: { label: 'Preview', tone: 'grey' },
  interrupted: { label: 'Interrupted', tone: 'orange' },
};

export const TRIGGER_LABELS: Record<Trigger, string> = {
  schedule: 'Scheduled',
  manual: 'Sync Now',
  individual: 'Single user',
  api: 'API',
  scim: 'SCIM push',
  preview: 'Preview',
};

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

export const OBJECT_LABELS: Record<ChangeObject, string> = { user: 'User', group: 'Group', admin: 'Admin' };

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
  return COUNT_LABELS.filter(([k]) => k !== 'seen' && k !== 'skipped').reduce((n, [k]) => n + (counts[k] ?? 0), 0);
}

export function reportTitle(report: RunSummary): string {
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
    case 'running':
      return 'Sync running';
  }
  return 'Sync';
}

export function describeValue(v: string | null): string {
  return v === null || v === '' ? '(empty)' : v;
}

export function formatFieldChange(f: FieldChange): string {
  if (f.before === null) return `${f.field}: ${describeValue(f.after)}`;
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
    action: ACTION_LABELS[c.action] ?? c.action,
    tone: ACTION_TONES[c.action] ?? 'grey',
    fields: c.fields,
    reason: c.reason,
  };
}

/** The first `limit` changes as display rows, plus how many were left out. */
export function changeRows(report: RunReport, limit = 200, filter = ''): { rows: ChangeRow[]; hidden: number; matching: number } {
  const q = filter.trim().toLowerCase();
  const all = report.changes.map(toChangeRow);
  const matching = q
    ? all.filter((r) => r.key.toLowerCase().includes(q) || r.action.toLowerCase().includes(q) || r.object.toLowerCase().includes(q))
    : all;
  return { rows: matching.slice(0, limit), hidden: Math.max(0, matching.length - limit), matching: matching.length };
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

  apply(p: SyncProgress): ProgressView {
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
