// The changes of a run as the report panel shows them: the report's first ones (up to 1,000), then more
// pages from the run's change log (`run_changes`) on request. Previews are not recorded, so theirs cannot
// be read further.

import type { Backend, Change, RunReport } from '../backend/backend';
import { userMessage } from '../error/userError';

/** Changes read per request. */
export const CHANGE_PAGE = 1000;

export class ChangeLog {
  /** The changes read so far, in the log's order. */
  changes = $state.raw<Change[]>([]);
  /** How many the run changed (or would change) in all. */
  readonly total: number;
  loading = $state(false);
  error = $state<string | null>(null);
  private readonly runId: number | null;
  /** Where the next page starts, or null once the log was read to its end. */
  private next: number | null;

  constructor(report: RunReport) {
    this.changes = report.changes;
    this.total = Math.max(report.changes_total ?? report.changes.length, report.changes.length);
    this.runId = report.run_id;
    this.next = this.changes.length < this.total ? this.changes.length : null;
  }

  /** Changes of the run not read yet. */
  get remaining(): number {
    return Math.max(0, this.total - this.changes.length);
  }

  /** Whether more can be read: a recorded run (not a preview) with changes left. */
  get canLoadMore(): boolean {
    return this.runId !== null && this.next !== null && this.remaining > 0;
  }

  /** Reads the next page; a failure is kept in `error` (plain English) for the panel to show. */
  async loadMore(backend: Pick<Backend, 'run_changes'>): Promise<void> {
    if (!this.canLoadMore || this.loading || this.runId === null || this.next === null) return;
    this.loading = true;
    this.error = null;
    try {
      const page = await backend.run_changes({ run_id: this.runId, from: this.next, limit: CHANGE_PAGE });
      this.changes = [...this.changes, ...page.changes];
      this.next = page.changes.length === 0 ? null : page.next;
    } catch (err) {
      this.error = `More changes could not be read: ${userMessage(err)}`;
    } finally {
      this.loading = false;
    }
  }
}
