import type { Backend } from './backend';

/** True when the page runs inside the Tauri webview. */
export function isTauri(win: object = globalThis): boolean {
  return '__TAURI_INTERNALS__' in win;
}

/**
 * The real backend inside Tauri; an in-memory fake when the page is opened in a plain browser
 * (vite dev/preview), so the UI can be looked at and clicked through without the Rust shell.
 */
export async function createBackend(): Promise<{ backend: Backend; kind: 'tauri' | 'mock' }> {
  if (typeof window !== 'undefined' && isTauri(window)) {
    const { TauriBackend } = await import('./tauri');
    return { backend: new TauriBackend(), kind: 'tauri' };
  }
  const { MockBackend } = await import('./mock');
  return { backend: new MockBackend({ latencyMs: 0, networkLatencyMs: 450, progressStepMs: 120, consentDelayMs: 4000 }), kind: 'mock' };
}
