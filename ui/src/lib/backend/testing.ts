// For the UI's unit tests: the recorded session of the real backend (./recorded/demo.json) as a backend, and
// its answers as DTOs. Tests of UI logic answer from what the backend said, never from rules of their own.

import { kinds } from '../kinds.svelte';
import type { CommandError, ConnectionKindInfo, DirectorySummary } from './backend';
import recording from './recorded/demo.json';
import { ReplayBackend, sameJson, type RecordedCall, type Recording } from './replay';

export const RECORDING = recording as Recording;

/** A backend that answers from the recording, from its start. */
export function replay(): ReplayBackend {
  return new ReplayBackend(RECORDING);
}

/** Every recorded call of `cmd` (with exactly `args`, if given), in order. */
export function recordedCalls(cmd: string, args?: unknown): RecordedCall[] {
  return RECORDING.calls.filter((c) => c.cmd === cmd && (args === undefined || sameJson(c.args, args)));
}

/** What the backend answered the `nth` (0 first) recorded call of `cmd`. */
export function recorded<T>(cmd: string, nth = 0, args?: unknown): T {
  const call = recordedCalls(cmd, args)[nth];
  if (!call || call.ok === undefined) throw new Error(`the recording has no answer #${nth} to ${cmd}`);
  return structuredClone(call.ok) as T;
}

/** The `{code, message}` the backend refused a recorded call of `cmd` (with `args`, if given) with. */
export function refusal(cmd: string, args?: unknown): CommandError {
  const err = recordedCalls(cmd, args).find((c) => c.err !== undefined)?.err;
  if (!err || typeof err !== 'object') throw new Error(`the recording has no refusal of ${cmd}`);
  return structuredClone(err);
}

/** The registry as the backend answered it, loaded into the window's store as the app does at start. */
export function useRecordedKinds(): ConnectionKindInfo[] {
  kinds.list = recorded<ConnectionKindInfo[]>('connection_kinds');
  return kinds.list;
}

/** The demo tenant's syncs as the window first lists them: the user sync and the admin sync. */
export function recordedSyncs(): { user: DirectorySummary; admin: DirectorySummary } {
  const list = recorded<DirectorySummary[]>('directory_list');
  const find = (t: string) => {
    const d = list.find((x) => x.sync_type === t);
    if (!d) throw new Error(`the recording lists no ${t} sync`);
    return d;
  };
  return { user: find('user'), admin: find('admin') };
}
