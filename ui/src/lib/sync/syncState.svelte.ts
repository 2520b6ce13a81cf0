// Shared state of sync runs, kept above the screens so a run keeps going (and its report stays)
// while the user looks at other screens.

import type { Backend, RunReport, SyncType, Unlisten } from '../backend/backend';
import {
  checkSyncOneInput,
  ProgressTracker,
  runSyncForReport,
  syncOne,
  trackProgress,
  type ProgressView,
  type RunMode,
  type SyncOneResult,
} from './service';

/** What a run started from this window does: a full run (sync, preview, approve) or one user ("individual"). */
export type RunKind = RunMode | 'individual';

export interface SyncHooks {
  onerror: (err: unknown) => void;
  /** The store may have changed: lists and the directory table should reload. */
  ondatachanged: () => void;
}

export class SyncState {
  /** Latest progress per directory key. */
  progress = $state<Record<string, ProgressView>>({});
  /** Runs started from this window, per directory key. */
  running = $state<Record<string, RunKind>>({});
  /** The report shown in the panel: the last run started here, or one opened from the history. Not deep-reactive. */
  report = $state.raw<RunReport | null>(null);

  private tracker = new ProgressTracker();
  private readonly backend: Backend;
  private readonly hooks: SyncHooks;

  constructor(backend: Backend, hooks: SyncHooks) {
    this.backend = backend;
    this.hooks = hooks;
  }

  /** Subscribes to `sync-progress`. Runs started elsewhere (the schedule) show up too. */
  listen(): Promise<Unlisten> {
    return trackProgress(this.backend, this.tracker, (v) => {
      this.progress = { ...this.progress, [v.key]: v };
      if (v.finished && !this.running[v.key]) {
        // A run we did not start (e.g. the schedule) ended: refresh, then let its bar go.
        this.hooks.ondatachanged();
        setTimeout(() => this.dropProgress(v.key, v.runId), 2000);
      }
    });
  }

  isRunning(key: string): boolean {
    return key in this.running || (this.progress[key] !== undefined && !this.progress[key].finished);
  }

  async start(key: string, mode: RunMode): Promise<RunReport | null> {
    if (this.running[key]) return null;
    this.running = { ...this.running, [key]: mode };
    // The panel only ever shows the outcome of the run just started, never a stale one.
    this.report = null;
    try {
      const report = await runSyncForReport(this.backend, key, mode);
      this.report = report;
      return report;
    } catch (err) {
      this.hooks.onerror(err);
      return null;
    } finally {
      const { [key]: _done, ...rest } = this.running;
      this.running = rest;
      this.dropProgress(key, null);
      this.hooks.ondatachanged();
    }
  }

  /**
   * Syncs one user (or administrator) of a directory. The report, failed or not, goes to the panel
   * like any other run; a blank name or a rejected command comes back as a problem for the form to
   * show, not through onerror.
   */
  async syncUser(key: string, username: string, syncType: SyncType): Promise<SyncOneResult> {
    const checked = checkSyncOneInput(username, syncType);
    if ('problem' in checked) return { kind: 'problem', code: 'validation', message: checked.problem };
    if (this.running[key]) {
      return {
        kind: 'problem',
        code: 'conflict',
        message: 'This directory is already syncing. Wait for that run to finish, then try again.',
      };
    }
    this.running = { ...this.running, [key]: 'individual' };
    this.report = null;
    try {
      const result = await syncOne(this.backend, key, checked.username, syncType);
      if (result.kind === 'report') this.report = result.report;
      return result;
    } finally {
      const { [key]: _done, ...rest } = this.running;
      this.running = rest;
      this.dropProgress(key, null);
      this.hooks.ondatachanged();
    }
  }

  show(report: RunReport | null): void {
    this.report = report;
  }

  private dropProgress(key: string, runId: number | null): void {
    const current = this.progress[key];
    if (!current || (runId !== null && current.runId !== runId)) return;
    if (this.running[key]) return;
    this.tracker.clear(key);
    const { [key]: _gone, ...rest } = this.progress;
    this.progress = rest;
  }
}
