import { describe, expect, it } from 'vitest';
import type { Backend, Change, ChangePage, RunReport } from '../backend/backend';
import { recorded, refusal } from '../backend/testing';
import { CHANGE_PAGE, ChangeLog } from './changeLog.svelte';

/** A recorded report cut to its first `shown` changes, as the backend sends runs larger than a page. */
function bigRun(shown: number): { report: RunReport; all: Change[] } {
  const full = recorded<RunReport>('run_detail');
  const all = full.changes;
  return { report: { ...full, changes: all.slice(0, shown), changes_total: all.length }, all };
}

/** `run_changes` over `all`, as the backend pages its change log. */
function pages(all: Change[], calls: { from: number; limit: number }[] = []): Pick<Backend, 'run_changes'> {
  return {
    run_changes: async ({ from, limit }): Promise<ChangePage> => {
      calls.push({ from, limit });
      const changes = all.slice(from, from + limit);
      return { changes, next: from + changes.length < all.length ? from + changes.length : null };
    },
  };
}

describe('ChangeLog', () => {
  it('starts with the report’s first changes and reads the rest of a recorded run page by page', async () => {
    const { report, all } = bigRun(100);
    expect(all.length).toBeGreaterThan(200);
    const log = new ChangeLog(report);
    expect(log.remaining).toBe(all.length - 100);
    expect(log.canLoadMore).toBe(true);
    const calls: { from: number; limit: number }[] = [];
    await log.loadMore(pages(all, calls));
    expect(calls).toEqual([{ from: 100, limit: CHANGE_PAGE }]);
    expect(log.changes).toEqual(all);
    expect(log.remaining).toBe(0);
    expect(log.canLoadMore).toBe(false);
  });

  it('reads nothing when the report carries every change', async () => {
    const full = recorded<RunReport>('run_detail');
    const log = new ChangeLog(full);
    expect(log.canLoadMore).toBe(false);
    const calls: { from: number; limit: number }[] = [];
    await log.loadMore(pages(full.changes, calls));
    expect(calls).toEqual([]);
  });

  it('cannot read more of a preview (never recorded), and says why a page failed', async () => {
    const { report, all } = bigRun(50);
    const log = new ChangeLog({ ...report, run_id: null });
    expect(log.remaining).toBe(all.length - 50);
    expect(log.canLoadMore).toBe(false);

    const gone = new ChangeLog(report);
    await gone.loadMore({
      run_changes: async () => {
        throw refusal('run_detail', { run_id: 999 });
      },
    });
    expect(gone.error).toBe(`More changes could not be read: ${refusal('run_detail', { run_id: 999 }).message}`);
    expect(gone.changes).toHaveLength(50);
  });
});
