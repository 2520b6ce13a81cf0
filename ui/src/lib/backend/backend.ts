// The Backend interface and the DTO types of src-tauri/ipc-contract.md.
// Every method maps one-to-one to a Tauri command; argument objects use the contract's snake_case keys.

/** Error codes a failed command rejects with. */
export type Code =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'held'
  | 'source_unreachable'
  | 'unauthorized'
  | 'consent_required'
  | 'keychain_unavailable'
  | 'incompatible_store'
  | 'unknown';

export const CODES: readonly Code[] = [
  'validation',
  'not_found',
  'conflict',
  'held',
  'source_unreachable',
  'unauthorized',
  'consent_required',
  'keychain_unavailable',
  'incompatible_store',
  'unknown',
];

/** What a failed command rejects with. `message` is plain English and safe to show as is. */
export interface CommandError {
  code: Code;
  message: string;
}

/** RFC 3339 time in UTC, e.g. "2026-11-28T20:35:00Z". */
export type Timestamp = string;

// ---------- Tenants ----------

export interface Tenant {
  id: string;
  name: string;
  current: boolean;
  created_at: Timestamp;
}

// ---------- Directory syncs ----------

export type SyncType = 'user' | 'admin';
export type ConnectionKind = 'demo' | 'active_directory' | 'openldap' | 'entra' | 'google' | 'okta' | 'scim';
export type Schedule = 'scheduled' | 'paused';
export type DirectoryStatus = 'never_synced' | 'ok' | 'failed' | 'held' | 'running';

export interface Connection {
  id: string;
  kind: ConnectionKind;
  name: string;
}

export interface DirectorySummary {
  directory_key: string;
  name: string;
  sync_type: SyncType;
  connection: Connection;
  schedule: Schedule;
  interval_minutes: number;
  last_full_sync: Timestamp | null;
  status: DirectoryStatus;
  last_run: RunSummary | null;
  /** Users (or admins, for admin syncs) this sync manages. */
  user_count: number;
  /** Selected groups, or "group → role" for admin syncs. */
  groups: string[];
  deletion_threshold_percent: number;
  /** Fixed after the first sync. */
  username_attribute: string;
}

/** The spec accepted by `directory_add` (the same JSON as `rosterctl directory add --spec`). */
export interface DemoDirectorySpec {
  name: string;
  type: SyncType;
  connection: { kind: 'demo'; seed: number; users: number };
}

export type DirectorySpec = DemoDirectorySpec | Record<string, unknown>;

// ---------- Sync ----------

export interface Counts {
  seen: number;
  created: number;
  updated: number;
  disabled: number;
  enabled: number;
  trashed: number;
  restored: number;
  purged: number;
  taken_over: number;
  groups_created: number;
  groups_updated: number;
  groups_deleted: number;
  skipped: number;
}

export type Trigger = 'schedule' | 'manual' | 'individual' | 'api' | 'scim' | 'preview';
export type Outcome = 'running' | 'succeeded' | 'failed' | 'held' | 'approved' | 'preview' | 'interrupted';

export interface RunSummary {
  run_id: number;
  directory_key: string;
  directory_name: string;
  trigger: Trigger;
  outcome: Outcome;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  counts: Counts;
  message: string | null;
}

export type ChangeObject = 'user' | 'group' | 'admin';
export type ChangeAction =
  | 'create'
  | 'update'
  | 'take_over'
  | 'disable'
  | 'enable'
  | 'trash'
  | 'restore'
  | 'purge'
  | 'delete';

export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

export interface Change {
  object: ChangeObject;
  key: string;
  action: ChangeAction;
  fields: FieldChange[];
  reason: string;
}

export interface EntryError {
  key: string;
  message: string;
}

export interface RunReport extends RunSummary {
  changes: Change[];
  errors: EntryError[];
  held_reason: string | null;
}

export type ProgressPhase = 'fetching' | 'planning' | 'applying' | 'done' | 'failed' | 'held';

/** Payload of the `sync-progress` event. */
export interface SyncProgress {
  directory_key: string;
  run_id: number | null;
  phase: ProgressPhase;
  done: number;
  total: number;
  message: string;
}

// ---------- Directory contents ----------

export type UserStatus = 'active' | 'bypass' | 'disabled' | 'locked out' | 'pending deletion';

export interface UserRow {
  user_id: string;
  username: string;
  realname: string;
  email: string;
  status: UserStatus;
  groups: string[];
  /** Name of the directory sync that manages this user, or null. */
  managed_by: string | null;
  last_directory_sync: Timestamp | null;
  /** When a user in the trash is deleted for good. */
  purge_at: Timestamp | null;
}

export interface GroupRow {
  group_id: string;
  name: string;
  description: string;
  member_count: number;
  managed_by: string | null;
}

export type AdminStatus = 'Active' | 'Disabled' | 'Pending Activation' | 'Expired';

export interface AdminRow {
  admin_id: string;
  name: string;
  email: string;
  role: string;
  status: AdminStatus;
  managed_by: string | null;
}

export interface Page<T> {
  total: number;
  rows: T[];
}

// A type alias (not an interface) so it is assignable to invoke()'s Record<string, unknown> argument.
export type PageArgs = {
  query: string;
  offset: number;
  limit: number;
};

export type Unlisten = () => void;

/** Everything the UI asks of the Rust shell. */
export interface Backend {
  tenant_list(): Promise<Tenant[]>;
  tenant_create(args: { name: string }): Promise<Tenant>;
  tenant_switch(args: { id: string }): Promise<Tenant>;
  tenant_rename(args: { id: string; name: string }): Promise<Tenant>;
  tenant_delete(args: { id: string }): Promise<null>;

  directory_list(): Promise<DirectorySummary[]>;
  directory_add(args: { spec: DirectorySpec }): Promise<{ directory_key: string }>;
  directory_pause(args: { key: string }): Promise<DirectorySummary>;
  directory_resume(args: { key: string }): Promise<DirectorySummary>;

  sync_run(args: { key: string; dry_run: boolean; approve: boolean }): Promise<RunReport>;
  sync_user(args: { key: string; username: string }): Promise<RunReport>;
  runs_list(args: { key: string | null; limit: number }): Promise<RunSummary[]>;
  run_detail(args: { run_id: number }): Promise<RunReport>;

  users_page(args: PageArgs): Promise<Page<UserRow>>;
  groups_page(args: PageArgs): Promise<Page<GroupRow>>;
  admins_page(args: PageArgs): Promise<Page<AdminRow>>;
  trash_page(args: PageArgs): Promise<Page<UserRow>>;

  /** Subscribes to the `sync-progress` event; resolves to a function that unsubscribes. */
  onSyncProgress(handler: (progress: SyncProgress) => void): Promise<Unlisten>;
}

export function emptyCounts(): Counts {
  return {
    seen: 0,
    created: 0,
    updated: 0,
    disabled: 0,
    enabled: 0,
    trashed: 0,
    restored: 0,
    purged: 0,
    taken_over: 0,
    groups_created: 0,
    groups_updated: 0,
    groups_deleted: 0,
    skipped: 0,
  };
}
