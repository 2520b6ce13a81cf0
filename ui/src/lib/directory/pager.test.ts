import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECORDING, recordedSyncs, replay } from '../backend/testing';
import { debounce, Pager, visibleRange, type PageResult } from './pager';
import { usersFetcher } from './service';

interface Call {
  query: string;
  offset: number;
  limit: number;
  resolve: (r: PageResult<string>) => void;
  reject: (e: unknown) => void;
}

/** A fetcher whose answers the test releases by hand, in any order. */
function manualFetcher() {
  const calls: Call[] = [];
  const fetcher = (query: string, offset: number, limit: number) =>
    new Promise<PageResult<string>>((resolve, reject) => calls.push({ query, offset, limit, resolve, reject }));
  return { calls, fetcher };
}

/** Rows "q:0", "q:1", … for a data set of `total` rows. */
function answer(call: Call, total: number, tag = call.query) {
  const rows: string[] = [];
  for (let i = call.offset; i < Math.min(total, call.offset + call.limit); i++) rows.push(`${tag}:${i}`);
  call.resolve({ total, rows });
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Pager', () => {
  it('fetches only the pages that cover the requested rows', async () => {
    const { calls, fetcher } = manualFetcher();
    const pager = new Pager(fetcher, { pageSize: 200 });
    const done = pager.ensure(150, 260);
    expect(calls.map((c) => c.offset)).toEqual([0, 200]);
    expect(calls.every((c) => c.limit === 200 && c.query === '')).toBe(true);
    calls.forEach((c) => answer(c, 1000));
    await done;
    expect(pager.total).toBe(1000);
    expect(pager.rowAt(0)).toBe(':0');
    expect(pager.rowAt(399)).toBe(':399');
    expect(pager.rowAt(400)).toBeUndefined();
  });

  it('does not fetch a page twice, whether cached or in flight', async () => {
    const { calls, fetcher } = manualFetcher();
    const pager = new Pager(fetcher, { pageSize: 100 });
    const a = pager.ensure(0, 50);
    const b = pager.ensure(10, 90);
    expect(calls).toHaveLength(1);
    answer(calls[0], 500);
    await Promise.all([a, b]);
    await pager.ensure(0, 100);
    expect(calls).toHaveLength(1);
    expect(pager.requests).toBe(1);
  });

  it('does not ask past the end once the total is known', async () => {
    const { calls, fetcher } = manualFetcher();
    const pager = new Pager(fetcher, { pageSize: 100 });
    const p = pager.ensure(0, 10);
    answer(calls[0], 150);
    await p;
    const q = pager.ensure(90, 400);
    expect(calls.map((c) => c.offset)).toEqual([0, 100]);
    answer(calls[1], 150);
    await q;
    expect(pager.rowAt(149)).toBe(':149');
  });

  it('ignores a stale response that arrives after the query changed', async () => {
    const { calls, fetcher } = manualFetcher();
    const pager = new Pager(fetcher, { pageSize: 50 });
    const seen: (number | null)[] = [];
    pager.subscribe(() => seen.push(pager.total));

    pager.setQuery('a');
    void pager.ensure(0, 20);
    pager.setQuery('ab');
    void pager.ensure(0, 20);
    expect(calls.map((c) => c.query)).toEqual(['a', 'ab']);

    // The newer answer comes first, the older one last.
    answer(calls[1], 3);
    await tick();
    answer(calls[0], 999);
    await tick();

    expect(pager.currentQuery).toBe('ab');
    expect(pager.total).toBe(3);
    expect(pager.rowAt(0)).toBe('ab:0');
    // Listeners heard the two query changes and the current query's answer, not the stale one.
    expect(seen).toEqual([null, null, 3]);

    // The late answer was still good for "a": going back to it costs no request.
    pager.setQuery('a');
    expect(pager.total).toBe(999);
    await pager.ensure(0, 20);
    expect(calls).toHaveLength(2);
  });

  it('drops answers that were in flight when the data was invalidated', async () => {
    const { calls, fetcher } = manualFetcher();
    const pager = new Pager(fetcher, { pageSize: 10 });
    const first = pager.ensure(0, 5);
    pager.invalidate();
    answer(calls[0], 100, 'old');
    await first;
    expect(pager.total).toBeNull();
    expect(pager.rowAt(0)).toBeUndefined();

    const second = pager.ensure(0, 5);
    expect(calls).toHaveLength(2);
    answer(calls[1], 90, 'new');
    await second;
    expect(pager.total).toBe(90);
    expect(pager.rowAt(0)).toBe('new:0');
  });

  it('keeps an error for the current query and clears it on the next success', async () => {
    const { calls, fetcher } = manualFetcher();
    const pager = new Pager(fetcher, { pageSize: 10 });
    const p = pager.ensure(0, 5);
    calls[0].reject({ code: 'unknown', message: 'boom' });
    await p;
    expect(pager.error).toEqual({ code: 'unknown', message: 'boom' });
    expect(pager.loading).toBe(false);
    const again = pager.ensure(0, 5);
    expect(calls).toHaveLength(2);
    answer(calls[1], 5);
    await again;
    expect(pager.error).toBeNull();
    expect(pager.rowAt(4)).toBe(':4');
  });

  it('evicts the least recently used query and far-away pages', async () => {
    let requests = 0;
    const pager = new Pager(
      async (q, offset, limit) => {
        requests++;
        return { total: 10_000, rows: Array.from({ length: limit }, (_, i) => `${q}:${offset + i}`) };
      },
      { pageSize: 10, maxQueries: 2, maxPagesPerQuery: 3 },
    );
    for (const q of ['x', 'y', 'z']) {
      pager.setQuery(q);
      await pager.ensure(0, 1);
    }
    expect(requests).toBe(3);
    pager.setQuery('y');
    await pager.ensure(0, 1);
    expect(requests).toBe(3); // still cached
    pager.setQuery('x');
    await pager.ensure(0, 1);
    expect(requests).toBe(4); // was evicted

    for (const start of [0, 10, 20, 30, 40]) await pager.ensure(start, start + 1);
    expect(pager.rowAt(40)).toBe('x:40');
    expect(pager.rowAt(0)).toBeUndefined(); // farthest page dropped
  });

  it('pages through the recorded users of the real backend, a page at a time', async () => {
    const { admin } = recordedSyncs();
    const i = RECORDING.calls.findIndex((c) => c.cmd === 'sync_run' && (c.args as { key: string }).key === admin.directory_key);
    const pager = new Pager(usersFetcher(replay().from(i + 1)), { pageSize: 200 });
    await pager.ensure(150, 250);
    expect(pager.total).toBe(300);
    expect(pager.requests).toBe(2);
    const a = pager.rowAt(199)!;
    const b = pager.rowAt(200)!;
    expect(a.username < b.username).toBe(true);
    pager.setQuery('an');
    await pager.ensure(0, 40);
    expect(pager.total).toBeGreaterThan(0);
    expect(pager.total).toBeLessThan(300);
  });
});

describe('visibleRange', () => {
  it('covers the viewport plus overscan', () => {
    expect(visibleRange(0, 400, 40, 1000, 5)).toEqual({ start: 0, end: 15, offsetY: 0 });
    expect(visibleRange(4000, 400, 40, 1000, 5)).toEqual({ start: 95, end: 115, offsetY: 3800 });
  });

  it('clamps at the end and handles empty lists', () => {
    expect(visibleRange(39_800, 400, 40, 1000, 5)).toEqual({ start: 990, end: 1000, offsetY: 39_600 });
    expect(visibleRange(0, 400, 40, 0)).toEqual({ start: 0, end: 0, offsetY: 0 });
    expect(visibleRange(-50, 400, 40, 3, 2)).toEqual({ start: 0, end: 3, offsetY: 0 });
  });
});

describe('debounce', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls once with the last arguments after the quiet period', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = debounce(fn, 150);
    d('a');
    vi.advanceTimersByTime(100);
    d('ab');
    vi.advanceTimersByTime(149);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('ab');
  });

  it('can be cancelled or flushed', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = debounce(fn, 150);
    d('x');
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).not.toHaveBeenCalled();
    d('y');
    d.flush();
    expect(fn).toHaveBeenCalledWith('y');
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
