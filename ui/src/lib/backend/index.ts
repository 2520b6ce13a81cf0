import type { Backend } from './backend';

/** True when the page runs inside the Tauri webview. */
export function isTauri(win: object = globalThis): boolean {
  return '__TAURI_INTERNALS__' in win;
}

/**
 * The real backend inside Tauri; a replay of a recorded session of the real backend when the page is opened
 * in a plain browser (vite dev/preview), so the UI can be looked at and clicked through without the Rust shell.
 */
export async function createBackend(): Promise<{ backend: Backend; kind: 'tauri' | 'replay' }> {
  if (typeof window !== 'undefined' && isTauri(window)) {
    const { TauriBackend } = await import('./tauri');
    return { backend: new TauriBackend(), kind: 'tauri' };
  }
  const [{ ReplayBackend }, recording] = await Promise.all([import('./replay'), import('./recorded/demo.json')]);
  return {
    backend: new ReplayBackend(recording.default as import('./replay').Recording, { answerDelayMs: 60, eventDelayMs: 150 }),
    kind: 'replay',
  };
}
