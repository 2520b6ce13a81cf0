// ReplayBackend: answers from a recording of the real backend (./recorded/demo.json, written by
// src-tauri/recording.rs through the real Tauri commands: `npm run record`). It holds no rule of its own:
// each call gets the answer, the `{code, message}` rejection and the events the backend gave to the same
// command with the same arguments. A call that was never recorded is refused, naming the command and its
// arguments, so the UI never shows anything the backend would not say.

import type { Backend, CommandError, ConsentProgress, ProgressEvent, Unlisten } from './backend';

/** An event the backend sent while a call ran. */
export type RecordedEvent =
  | { event: 'sync-progress'; payload: ProgressEvent }
  | { event: 'consent-progress'; payload: ConsentProgress };

/** One call as recorded: the arguments as the `Backend` passes them, and what came back. */
export interface RecordedCall {
  cmd: string;
  args: unknown;
  ok?: unknown;
  err?: CommandError | string;
  events?: RecordedEvent[];
}

export interface Recording {
  calls: RecordedCall[];
}

export interface ReplayOptions {
  /** Where the story starts: the index of a recorded call (0, the first, by default). */
  start?: number;
  /** Wait before each answer, as a real backend takes a moment (the dev server: 0 in tests). */
  answerDelayMs?: number;
  /** Wait before each recorded event, so progress bars move. */
  eventDelayMs?: number;
}

/** Commands that change what later calls answer; reads (and previews) do not. */
const CHANGES = new Set([
  'tenant_create',
  'tenant_switch',
  'tenant_rename',
  'tenant_delete',
  'directory_add',
  'directory_update',
  'directory_pause',
  'directory_resume',
  'directory_delete',
  'scim_create',
  'scim_regenerate',
  'sync_user',
  'connection_set_secret',
  'connection_authorize',
  'connection_reauthorize',
  'consent_cancel',
  // Administrators, who acts, and Settings (issue 13, UI-2).
  'operator_switch',
  'operator_add',
  'operator_set_role',
  'operator_set_status',
  'operator_set_passphrase',
  'operator_remove',
  'role_create',
  'tenant_set_retention',
  'tenant_set_default_threshold',
  'tenant_import',
  // UI-3 lists: a group's status.
  'group_set_status',
  // Issue 13's sync screens (UI-1).
  'directory_delete_with',
  'connection_delete',
  'sync_cancel',
  'run_discard',
  // Settings: the server, Admin API applications.
  'server_configure',
  'api_create',
  'api_set_grants',
  'api_reset_secret',
  'api_delete',
  // UI-3.
  'trash_restore',
  'trash_purge',
]);

function changes(call: { cmd: string; args: unknown }): boolean {
  if (call.cmd === 'sync_run') return (call.args as { dry_run?: boolean } | null)?.dry_run !== true;
  return CHANGES.has(call.cmd);
}

/** JSON equality, whatever the order of object keys (undefined members are left out, as JSON does). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(sorted(JSON.parse(JSON.stringify(v ?? null))));
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const wait = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export class ReplayBackend implements Backend {
  /**
   * Where the story stands: the recorded call answered last, or just after it when it changed something. A
   * read is answered by the same call recorded from this point up to the next change (the state the window
   * is in now); a change, by the next time the session made it. Failing that, by the latest one before this
   * point (nothing changed since), else by the next one ahead, and the story moves there.
   */
  private position: number;
  private readonly syncListeners = new Set<(p: ProgressEvent) => void>();
  private readonly consentListeners = new Set<(p: ConsentProgress) => void>();

  constructor(
    private readonly recording: Recording,
    private readonly opts: ReplayOptions = {},
  ) {
    this.position = opts.start ?? 0;
  }

  /** Moves the story to the recorded call at `index` (tests start where they need to). */
  from(index: number): this {
    this.position = index;
    return this;
  }

  /** The recorded call that answers `cmd` with `args`, or null. */
  find(cmd: string, args: unknown): { index: number; call: RecordedCall } | null {
    const calls = this.recording.calls;
    const matches = (c: RecordedCall) => c.cmd === cmd && sameJson(c.args, args);
    const at = (i: number) => ({ index: i, call: calls[i] });
    if (changes({ cmd, args })) {
      // A change made again is the next time the session made it (a second Sync Now, a name taken by now).
      for (let i = this.position; i < calls.length; i++) if (matches(calls[i])) return at(i);
    } else {
      // A read sees the state the story is in: up to the next change.
      for (let i = this.position; i < calls.length; i++) {
        if (matches(calls[i])) return at(i);
        if (changes(calls[i])) break;
      }
    }
    for (let i = Math.min(this.position, calls.length) - 1; i >= 0; i--) if (matches(calls[i])) return at(i);
    const ahead = calls.findIndex((c, i) => i > this.position && matches(c));
    return ahead >= 0 ? at(ahead) : null;
  }

  private async answer<T>(cmd: string, args: unknown = {}): Promise<T> {
    await wait(this.opts.answerDelayMs ?? 0);
    const found = this.find(cmd, args);
    if (!found) {
      const refusal: CommandError = {
        code: 'unknown',
        message:
          `The sample data has no answer for ${cmd} with ${JSON.stringify(args)}: this page replays a session ` +
          'recorded from the real backend, and that call was not part of it. Record it in src-tauri/recording.rs ' +
          '(npm run record), or try it in the Roster app.',
      };
      throw refusal;
    }
    // After a change, the story is in the state that followed it: the same change again is the next one.
    const next = changes(found.call) ? found.index + 1 : found.index;
    if (next > this.position) this.position = next;
    for (const e of found.call.events ?? []) {
      await wait(this.opts.eventDelayMs ?? 0);
      if (e.event === 'sync-progress') for (const h of [...this.syncListeners]) h(e.payload);
      else for (const h of [...this.consentListeners]) h(e.payload);
    }
    if (found.call.err !== undefined) throw found.call.err;
    return found.call.ok as T;
  }

  app_limits: Backend['app_limits'] = () => this.answer('app_limits');
  connection_kinds: Backend['connection_kinds'] = () => this.answer('connection_kinds');

  tenant_list: Backend['tenant_list'] = () => this.answer('tenant_list');
  tenant_create: Backend['tenant_create'] = (args) => this.answer('tenant_create', args);
  tenant_switch: Backend['tenant_switch'] = (args) => this.answer('tenant_switch', args);
  tenant_rename: Backend['tenant_rename'] = (args) => this.answer('tenant_rename', args);
  tenant_delete: Backend['tenant_delete'] = (args) => this.answer('tenant_delete', args);

  directory_list: Backend['directory_list'] = () => this.answer('directory_list');
  directory_add: Backend['directory_add'] = (args) => this.answer('directory_add', args);
  directory_update: Backend['directory_update'] = (args) => this.answer('directory_update', args);
  directory_pause: Backend['directory_pause'] = (args) => this.answer('directory_pause', args);
  directory_resume: Backend['directory_resume'] = (args) => this.answer('directory_resume', args);
  directory_delete: Backend['directory_delete'] = (args) => this.answer('directory_delete', args);

  scim_list: Backend['scim_list'] = () => this.answer('scim_list');
  scim_create: Backend['scim_create'] = (args) => this.answer('scim_create', args);
  scim_regenerate: Backend['scim_regenerate'] = (args) => this.answer('scim_regenerate', args);
  server_status: Backend['server_status'] = () => this.answer('server_status');

  connection_list: Backend['connection_list'] = () => this.answer('connection_list');
  connection_set_secret: Backend['connection_set_secret'] = (args) => this.answer('connection_set_secret', args);
  connection_test: Backend['connection_test'] = (args) => this.answer('connection_test', args);
  connection_groups: Backend['connection_groups'] = (args) => this.answer('connection_groups', args);
  connection_test_draft: Backend['connection_test_draft'] = (args) => this.answer('connection_test_draft', args);
  connection_groups_draft: Backend['connection_groups_draft'] = (args) => this.answer('connection_groups_draft', args);
  connection_authorize: Backend['connection_authorize'] = (args) => this.answer('connection_authorize', args);
  connection_reauthorize: Backend['connection_reauthorize'] = (args) => this.answer('connection_reauthorize', args);
  consent_cancel: Backend['consent_cancel'] = () => this.answer('consent_cancel');

  sync_run: Backend['sync_run'] = (args) => this.answer('sync_run', args);
  sync_user: Backend['sync_user'] = (args) => this.answer('sync_user', args);
  runs_list: Backend['runs_list'] = (args) => this.answer('runs_list', args);
  run_detail: Backend['run_detail'] = (args) => this.answer('run_detail', args);
  run_changes: Backend['run_changes'] = (args) => this.answer('run_changes', args);

  users_page: Backend['users_page'] = (args) => this.answer('users_page', args);
  groups_page: Backend['groups_page'] = (args) => this.answer('groups_page', args);
  admins_page: Backend['admins_page'] = (args) => this.answer('admins_page', args);
  trash_page: Backend['trash_page'] = (args) => this.answer('trash_page', args);
  // UI-3: the lists, a user's and a group's page, the trash, Sync History.
  user_list: Backend['user_list'] = (args) => this.answer('user_list', args);
  trash_list: Backend['trash_list'] = (args) => this.answer('trash_list', args);
  group_list: Backend['group_list'] = (args) => this.answer('group_list', args);
  user_detail: Backend['user_detail'] = (args) => this.answer('user_detail', args);
  user_history: Backend['user_history'] = (args) => this.answer('user_history', args);
  group_detail: Backend['group_detail'] = (args) => this.answer('group_detail', args);
  group_members: Backend['group_members'] = (args) => this.answer('group_members', args);
  group_set_status: Backend['group_set_status'] = (args) => this.answer('group_set_status', args);
  list_actions: Backend['list_actions'] = () => this.answer('list_actions', {});
  trash_restore: Backend['trash_restore'] = (args) => this.answer('trash_restore', args);
  trash_purge: Backend['trash_purge'] = (args) => this.answer('trash_purge', args);
  runs_page: Backend['runs_page'] = (args) => this.answer('runs_page', args);
  history_series: Backend['history_series'] = (args) => this.answer('history_series', args);

  // Administrators, who acts, and Settings (issue 13, UI-2).
  operator_switch_targets: Backend['operator_switch_targets'] = () => this.answer('operator_switch_targets');
  operator_switch: Backend['operator_switch'] = (args) => this.answer('operator_switch', args);
  operators_page: Backend['operators_page'] = (args) => this.answer('operators_page', args);
  operator_get: Backend['operator_get'] = (args) => this.answer('operator_get', args);
  operator_add: Backend['operator_add'] = (args) => this.answer('operator_add', args);
  operator_set_role: Backend['operator_set_role'] = (args) => this.answer('operator_set_role', args);
  operator_set_status: Backend['operator_set_status'] = (args) => this.answer('operator_set_status', args);
  operator_set_passphrase: Backend['operator_set_passphrase'] = (args) => this.answer('operator_set_passphrase', args);
  operator_remove: Backend['operator_remove'] = (args) => this.answer('operator_remove', args);
  role_list: Backend['role_list'] = () => this.answer('role_list');
  role_create: Backend['role_create'] = (args) => this.answer('role_create', args);
  tenant_settings: Backend['tenant_settings'] = () => this.answer('tenant_settings');
  tenant_set_retention: Backend['tenant_set_retention'] = (args) => this.answer('tenant_set_retention', args);
  tenant_set_default_threshold: Backend['tenant_set_default_threshold'] = (args) =>
    this.answer('tenant_set_default_threshold', args);
  tenant_export: Backend['tenant_export'] = () => this.answer('tenant_export');
  tenant_import: Backend['tenant_import'] = (args) => this.answer('tenant_import', args);
  // Settings: the server's address and certificate, Admin API applications.
  server_settings: Backend['server_settings'] = () => this.answer('server_settings');
  server_configure: Backend['server_configure'] = (args) => this.answer('server_configure', args);
  api_grants: Backend['api_grants'] = () => this.answer('api_grants');
  api_list: Backend['api_list'] = () => this.answer('api_list');
  api_create: Backend['api_create'] = (args) => this.answer('api_create', args);
  api_set_grants: Backend['api_set_grants'] = (args) => this.answer('api_set_grants', args);
  api_reset_secret: Backend['api_reset_secret'] = (args) => this.answer('api_reset_secret', args);
  api_delete: Backend['api_delete'] = (args) => this.answer('api_delete', args);
  // ---- Issue 13: Manage User Sync, Admin Directory Sync, SCIM Integrations (UI-1) ----
  acting_as: Backend['acting_as'] = () => this.answer('acting_as');
  directory_delete_with: Backend['directory_delete_with'] = (args) => this.answer('directory_delete_with', args);
  connection_delete: Backend['connection_delete'] = (args) => this.answer('connection_delete', args);
  sync_cancel: Backend['sync_cancel'] = (args) => this.answer('sync_cancel', args);
  run_discard: Backend['run_discard'] = (args) => this.answer('run_discard', args);
  // ---- end of issue 13 (UI-1) ----

  async onSyncProgress(handler: (progress: ProgressEvent) => void): Promise<Unlisten> {
    this.syncListeners.add(handler);
    return () => this.syncListeners.delete(handler);
  }

  async onConsentProgress(handler: (progress: ConsentProgress) => void): Promise<Unlisten> {
    this.consentListeners.add(handler);
    return () => this.consentListeners.delete(handler);
  }
}
