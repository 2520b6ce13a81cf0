import { describe, expect, it } from 'vitest';
import { MockBackend, REPORT_CHANGES } from '../backend/mock';
import { ChangeLog } from './changeLog.svelte';

describe('ChangeLog', () => {
  it('starts with the report’s first changes and reads the rest of a recorded run page by page', async () => {
    const backend = new MockBackend();
    const { directory_key: key } = await backend.directory_add({
      spec: { name: 'Big', type: 'user', connection: { kind: 'demo', seed: 3, users: 2500 } },
    });
    const report = await backend.sync_run({ key, dry_run: false, approve: false });
    expect(report.changes).toHaveLength(REPORT_CHANGES);
    expect(report.changes_total).toBeGreaterThan(2000);
    const log = new ChangeLog(report);
    expect(log.remaining).toBe(report.changes_total - REPORT_CHANGES);
    expect(log.canLoadMore).toBe(true);
    await log.loadMore(backend);
    expect(log.changes).toHaveLength(2 * REPORT_CHANGES);
    await log.loadMore(backend);
    expect(log.changes).toHaveLength(report.changes_total);
    expect(log.remaining).toBe(0);
    expect(log.canLoadMore).toBe(false);
    const detail = await backend.run_detail({ run_id: report.run_id! });
    const all = await backend.run_changes({ run_id: report.run_id!, from: 0, limit: 5000 });
    expect(log.changes).toEqual(all.changes);
    expect(detail.changes).toEqual(all.changes.slice(0, REPORT_CHANGES));
  });

  it('cannot read more of a preview (never recorded), and says why a page failed', async () => {
    const backend = new MockBackend();
    const { directory_key: key } = await backend.directory_add({
      spec: { name: 'Big', type: 'user', connection: { kind: 'demo', seed: 3, users: 1500 } },
    });
    const preview = await backend.sync_run({ key, dry_run: true, approve: false });
    expect(preview.run_id).toBeNull();
    const log = new ChangeLog(preview);
    expect(log.remaining).toBeGreaterThan(0);
    expect(log.canLoadMore).toBe(false);

    const report = await backend.sync_run({ key, dry_run: false, approve: false });
    const gone = new ChangeLog({ ...report, run_id: 9999 });
    await gone.loadMore(backend);
    expect(gone.error).toMatch(/^More changes could not be read: Run 9999 was not found/);
    expect(gone.changes).toHaveLength(REPORT_CHANGES);
  });
});
