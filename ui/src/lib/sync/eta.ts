// How long a run's current phase has left, from how fast it went so far. Time is passed in (testable).

import type { ProgressView } from './service';

/** When a run's current phase was first seen, and how far it was then. */
export interface PhaseStart {
  key: string;
  phase: string;
  at: number;
  done: number;
}

/** The phase start to keep after `view`: the same one while the phase goes on, a new one when it changes. */
export function phaseStart(prev: PhaseStart | null, view: ProgressView, now: number): PhaseStart {
  if (prev && prev.key === view.key && prev.phase === view.phase) return prev;
  return { key: view.key, phase: view.phase, at: now, done: view.done };
}

/** "about 2 minutes left", or null while there is too little to go on (no total, nothing done yet). */
export function etaText(view: ProgressView, start: PhaseStart | null, now: number): string | null {
  if (!start || view.finished || view.total <= 0) return null;
  const done = view.done - start.done;
  const elapsed = (now - start.at) / 1000;
  if (done <= 0 || elapsed < 1) return null;
  const left = ((view.total - view.done) / done) * elapsed;
  if (left < 5) return 'a few seconds left';
  if (left < 90) return `about ${Math.round(left / 5) * 5} seconds left`;
  const minutes = Math.round(left / 60);
  return `about ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} left`;
}
