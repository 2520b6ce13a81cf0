// Shared state of sync runs, kept above the screens so a run keeps going (and its report stays)
// while the user looks at other screens.
//
// The window shows only the open tenant: progress events name their tenant and those of another tenant are
// dropped, runs started here are remembered with the tenant they were started in, and a report that comes
// back after another tenant was opened is not shown (its run is in that tenant's history).

import type { Backend, RunReport, SyncType, Unlisten } from '../backend/backend';
import {
  checkSyncOneInput,
  ProgressTracker,
  runSyncForReport,
  syncOne,
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

/** A run started from this window, with the tenant it runs in. */
interface StartedRun {
  tenant: string | null;
  key: string;
  kind: RunKind;
}

export class SyncState {
  /** Latest progress per directory key, of the open tenant's runs. */
  progress = $state<Record<string, ProgressView>>({});
  /** The report shown in the panel: the last run started here, or one opened from the history. Not deep-reactive. */
  report = $state.raw<RunReport | null>(null);
  /** The open tenant's id (null until known). */
  tenant = $state<string | null>(null);
  /** Runs started from this window, in any tenant. */
  private started = $state.raw<StartedRun[]>([]);

  private tracker = new ProgressTracker();
  private readonly backend: Backend;
  private readonly hooks: SyncHooks;

  constructor(backend: Backend, hooks: SyncHooks) {
    this.backend = backend;
    this.hooks = hooks;
  }

  /** Runs started from this window in the open tenant, per directory key. */
  get running(): Record<string, RunKind> {
    const out: Record<string, RunKind> = {};
    for (const r of this.started) if (r.tenant === this.tenant) out[r.key] = r.kind;
    return out;
  }

  /**
   * Learns which tenant is open, then subscribes to `sync-progress`. Runs of the open tenant started
   * elsewhere (the schedule) show up too; those of other tenants do not.
   */
  async listen(): Promise<Unlisten> {
    if (this.tenant === null) {
      try {
        this.tenant = (await this.backend.tenant_list()).find((t) => t.current)?.id ?? null;
      } catch (err) {
        this.hooks.onerror(err);
      }
    }
    return this.backend.onSyncProgress((p) => {
      if (p.tenant !== this.tenant) return;
      const v = this.tracker.apply(p);
      this.progress = { ...this.progress, [v.key]: v };
      if (v.finished && !this.running[v.key]) {
        // A run we did not start (e.g. the schedule) ended: refresh, then let its bar go.
        this.hooks.ondatachanged();
        setTimeout(() => this.dropProgress(v.key, v.runId), 2000);
      }
    });
  }

  /** Another tenant was opened: nothing of the tenant left behind shows any more. */
  tenantOpened(id: string): void {
    if (id === this.tenant) return;
    this.tenant = id;
    this.report = null;
    this.tracker = new ProgressTracker();
    this.progress = {};
  }

  isRunning(key: string): boolean {
    return key in this.running || (this.progress[key] !== undefined && !this.progress[key].finished);
  }

  async start(key: string, mode: RunMode): Promise<RunReport | null> {
    if (this.running[key]) return null;
    const run = this.begin(key, mode);
    // The panel only ever shows the outcome of the run just started, never a stale one.
    this.report = null;
    try {
      const report = await runSyncForReport(this.backend, key, mode);
      if (run.tenant !== this.tenant) return null; // another tenant is open now
      this.report = report;
      return report;
    } catch (err) {
      if (run.tenant === this.tenant) this.hooks.onerror(err);
      return null;
    } finally {
      this.end(run);
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
    const run = this.begin(key, 'individual');
    this.report = null;
    try {
      const result = await syncOne(this.backend, key, checked.username, syncType);
      if (result.kind === 'report' && run.tenant === this.tenant) this.report = result.report;
      return result;
    } finally {
      this.end(run);
    }
  }

  show(report: RunReport | null): void {
    this.report = report;
  }

  private begin(key: string, kind: RunKind): StartedRun {
    const run: StartedRun = { tenant: this.tenant, key, kind };
    this.started = [...this.started, run];
    return run;
  }

  private end(run: StartedRun): void {
    this.started = this.started.filter((r) => r !== run);
    if (run.tenant === this.tenant) this.dropProgress(run.key, null);
    this.hooks.ondatachanged();
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
