// The "Sync one…" form of the Directory Syncs table: which row's form is open, what is typed in it, and the
// one-line result shown under it. A result is about what was sent and what happened since: it goes when the
// input changes, when another action runs, and a later run replaces it.

import type { SyncType } from '../backend/backend';
import type { SyncOneResult, SyncOneSummary } from './service';
import type { SyncState } from './syncState.svelte';

export class SyncOneForm {
  /** The row whose form is open (one at a time). */
  key = $state<string | null>(null);
  /** What is typed in it. */
  value = $state('');
  /** The one-line result per row. */
  results = $state<Record<string, SyncOneSummary>>({});

  constructor(private readonly sync: Pick<SyncState, 'syncUser'>) {}

  /** Opens a row's form (closing another), or closes it if it is open; returns whether it is open now. */
  toggle(key: string): boolean {
    if (this.key === key) {
      this.key = null;
      return false;
    }
    this.key = key;
    this.value = '';
    this.results = {};
    return true;
  }

  close(): void {
    this.key = null;
  }

  /** The admin typed in the open form: a result about what was typed before no longer applies. */
  input(value: string): void {
    if (value === this.value) return;
    this.value = value;
    if (this.key !== null) this.drop(this.key);
  }

  /** Another action runs (Sync Now, Preview, Pause, a move, or another row's form): results go. */
  actionStarted(): void {
    this.results = {};
  }

  result(key: string): SyncOneSummary | undefined {
    return this.results[key];
  }

  /** Syncs the typed user (or administrator) of the row's directory. */
  async submit(key: string, syncType: SyncType): Promise<SyncOneResult> {
    const typed = this.value;
    this.drop(key); // no stale message while the new run goes
    const result = await this.sync.syncUser(key, typed, syncType);
    if (this.key === key && this.value === typed && typed.trim()) this.value = typed.trim(); // show what was sent
    if (result.kind === 'report') {
      this.results = { ...this.results, [key]: result.summary };
    } else {
      this.results = { ...this.results, [key]: { tone: result.code === 'validation' ? 'warning' : 'error', text: result.message } };
    }
    return result;
  }

  private drop(key: string): void {
    const { [key]: _gone, ...rest } = this.results;
    this.results = rest;
  }
}
