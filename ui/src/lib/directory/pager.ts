// Page cache behind the virtualised lists. Pure TypeScript (no Svelte, no DOM) so it is tested directly.
//
// - Rows are fetched in fixed pages (200 rows by default) only when the list needs them.
// - Pages are cached per query, so going back to an earlier search (or clearing it) is instant.
// - A response that arrives after the query changed is kept for its own query but does not touch what is shown;
//   a response that arrives after invalidate() (the data changed: a sync ran, the tenant switched) is dropped.

export interface PageResult<T> {
  total: number;
  rows: T[];
}

export type PageFetcher<T> = (query: string, offset: number, limit: number) => Promise<PageResult<T>>;

export interface PagerOptions {
  /** Rows per request. */
  pageSize?: number;
  /** How many different queries keep their pages. */
  maxQueries?: number;
  /** How many pages one query keeps; the ones farthest from the last page loaded are dropped first. */
  maxPagesPerQuery?: number;
}

interface QueryCache<T> {
  total: number | null;
  pages: Map<number, T[]>;
  loading: Map<number, Promise<void>>;
}

export class Pager<T> {
  readonly pageSize: number;
  private readonly maxQueries: number;
  private readonly maxPages: number;
  private readonly fetcher: PageFetcher<T>;
  private query = '';
  private generation = 0;
  private caches = new Map<string, QueryCache<T>>();
  private listeners = new Set<() => void>();
  /** The last error of a fetch for the current query, or null. */
  error: unknown = null;
  /** Number of requests sent (for tests and diagnostics). */
  requests = 0;

  constructor(fetcher: PageFetcher<T>, opts: PagerOptions = {}) {
    this.fetcher = fetcher;
    this.pageSize = Math.max(1, opts.pageSize ?? 200);
    this.maxQueries = Math.max(1, opts.maxQueries ?? 10);
    this.maxPages = Math.max(1, opts.maxPagesPerQuery ?? 150);
  }

  get currentQuery(): string {
    return this.query;
  }

  /** Total rows for the current query, or null until its first page has arrived. */
  get total(): number | null {
    return this.caches.get(this.query)?.total ?? null;
  }

  /** True while a request for the current query is out. */
  get loading(): boolean {
    return (this.caches.get(this.query)?.loading.size ?? 0) > 0;
  }

  /** Changes the query; returns false when it is the same one. */
  setQuery(query: string): boolean {
    const q = query.trim();
    if (q === this.query) return false;
    this.query = q;
    this.error = null;
    this.notify();
    return true;
  }

  rowAt(index: number): T | undefined {
    const cache = this.caches.get(this.query);
    if (!cache || index < 0) return undefined;
    return cache.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Makes sure the rows [start, end) of the current query are loaded or on their way. */
  ensure(start: number, end: number): Promise<void> {
    const cache = this.cacheFor(this.query);
    const total = cache.total;
    let last = Math.max(start, end - 1);
    if (total !== null) {
      if (total === 0) return Promise.resolve();
      last = Math.min(last, total - 1);
    }
    const first = Math.max(0, start);
    if (first > last) return Promise.resolve();
    const waits: Promise<void>[] = [];
    for (let page = Math.floor(first / this.pageSize); page <= Math.floor(last / this.pageSize); page++) {
      if (cache.pages.has(page)) continue;
      waits.push(this.fetchPage(this.query, cache, page));
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Forgets every cached page (the data changed) and ignores the answers still on their way. */
  invalidate(): void {
    this.generation++;
    this.caches.clear();
    this.error = null;
    this.notify();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private cacheFor(query: string): QueryCache<T> {
    let cache = this.caches.get(query);
    if (cache) {
      // Most recently used goes last.
      this.caches.delete(query);
      this.caches.set(query, cache);
      return cache;
    }
    cache = { total: null, pages: new Map(), loading: new Map() };
    this.caches.set(query, cache);
    while (this.caches.size > this.maxQueries) {
      const oldest = this.caches.keys().next().value as string;
      if (oldest === this.query && this.caches.size > 1) {
        const c = this.caches.get(oldest)!;
        this.caches.delete(oldest);
        this.caches.set(oldest, c);
        continue;
      }
      this.caches.delete(oldest);
    }
    return cache;
  }

  private fetchPage(query: string, cache: QueryCache<T>, page: number): Promise<void> {
    const pending = cache.loading.get(page);
    if (pending) return pending;
    const generation = this.generation;
    this.requests++;
    const p = this.fetcher(query, page * this.pageSize, this.pageSize)
      .then(
        (res) => {
          // The data changed since this request, or its query was evicted: the answer is stale.
          if (generation !== this.generation || this.caches.get(query) !== cache) return;
          cache.total = res.total;
          cache.pages.set(page, res.rows);
          this.trim(cache, page);
          if (query === this.query) {
            this.error = null;
            this.notify();
          }
        },
        (err: unknown) => {
          if (generation !== this.generation || query !== this.query) return;
          this.error = err;
          this.notify();
        },
      )
      .finally(() => {
        if (cache.loading.get(page) === p) cache.loading.delete(page);
      });
    cache.loading.set(page, p);
    return p;
  }

  private trim(cache: QueryCache<T>, around: number): void {
    if (cache.pages.size <= this.maxPages) return;
    const far = [...cache.pages.keys()].sort((a, b) => Math.abs(b - around) - Math.abs(a - around));
    for (const page of far.slice(0, cache.pages.size - this.maxPages)) cache.pages.delete(page);
  }
}

// ---------- helpers for the list component ----------

export interface VisibleRange {
  /** First row index to render (overscan included). */
  start: number;
  /** One past the last row index to render. */
  end: number;
  /** Top offset of the first rendered row, in px. */
  offsetY: number;
}

/** Which rows a fixed-row-height list must render for a scroll position. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): VisibleRange {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetY: 0 };
  const firstVisible = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const lastVisible = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  const start = Math.min(Math.max(0, firstVisible - overscan), Math.max(0, total - 1));
  const end = Math.min(total, Math.max(start + 1, lastVisible + overscan));
  return { start, end, offsetY: start * rowHeight };
}

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  cancel(): void;
  flush(): void;
}

/** Calls `fn` once, `ms` after the last call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastArgs: A | null = null;
  const run = () => {
    timer = null;
    const args = lastArgs;
    lastArgs = null;
    if (args) fn(...args);
  };
  const d = ((...args: A) => {
    lastArgs = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(run, ms);
  }) as Debounced<A>;
  d.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    lastArgs = null;
  };
  d.flush = () => {
    if (timer !== null) {
      clearTimeout(timer);
      run();
    }
  };
  return d;
}
