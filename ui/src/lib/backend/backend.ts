// The Backend interface: everything the UI asks of the Rust shell (src-tauri/ipc-contract.md). Every method
// maps one-to-one to a Tauri command; argument objects use the contract's snake_case keys. The types that
// cross the boundary are generated from the Rust types (./generated, `npm run types`); only the interface
// and the UI's own helper types live here.

import type {
  AddedDirectory,
  AdminRow,
  ApiError,
  AppLimits,
  ChangePage,
  CloudConnectionSpec,
  Connection,
  ConnectionCheck,
  ConnectionKindInfo,
  ConsentProgress,
  Counts,
  DirectoryPatch,
  DirectorySpec,
  DirectorySummary,
  GroupRow,
  GroupStatus,
  GroupSummary,
  IssuedToken,
  LdapConnectionSpec,
  Page,
  ProgressEvent,
  RunReport,
  RunSummary,
  ScimFlavor,
  ScimIntegration,
  ServerStatus,
  Tenant,
  UserRow,
  // Issue 13's sync screens (UI-1).
  ActingAs,
  ConnectionChoice,
  // UI-3.
  GroupDetail,
  GroupListQuery,
  HistoryPage,
  HistorySeries,
  ListActions,
  RunOutcome,
  RunsPage,
  UserDetail,
  UserListQuery,
} from './generated';
// Administrators, who acts, and Settings (issue 13, UI-2).
import type {
  AdminStatus,
  CustomRole,
  DirectoryConfig,
  Operator,
  OperatorFilter,
  RunSyncs,
  SwitchTarget,
  TenantSettings,
} from './generated';

// Settings: the server's address and certificate, Admin API applications.
import type { ApiApplicationInfo, ApiGrantInfo, IssuedApiKeys, ServerSetup } from './generated';

export type * from './generated';
export { CODES } from './generated';

/** What a failed command rejects with (the backend's `ApiError`). `message` is plain English and safe to show. */
export type CommandError = ApiError;

/** RFC 3339 time in UTC, e.g. "2026-11-28T20:35:00Z". */
export type Timestamp = string;

// A type alias (not an interface) so it is assignable to invoke()'s Record<string, unknown> argument.
export type PageArgs = {
  query: string;
  offset: number;
  limit: number;
};

export type Unlisten = () => void;

/** Everything the UI asks of the Rust shell. */
export interface Backend {
  app_limits(): Promise<AppLimits>;
  /** Every kind of connection, with what the window shows of each (names, sign-in, settings, syncs). */
  connection_kinds(): Promise<ConnectionKindInfo[]>;

  tenant_list(): Promise<Tenant[]>;
  tenant_create(args: { name: string }): Promise<Tenant>;
  tenant_switch(args: { id: string }): Promise<Tenant>;
  tenant_rename(args: { id: string; name: string }): Promise<Tenant>;
  tenant_delete(args: { id: string }): Promise<null>;

  directory_list(): Promise<DirectorySummary[]>;
  directory_add(args: { spec: DirectorySpec }): Promise<AddedDirectory>;
  directory_update(args: { key: string; patch: DirectoryPatch }): Promise<DirectorySummary>;
  directory_pause(args: { key: string }): Promise<DirectorySummary>;
  directory_resume(args: { key: string }): Promise<DirectorySummary>;
  /** Deletes a directory sync or a SCIM integration; its users stay, no longer managed. */
  directory_delete(args: { key: string }): Promise<null>;

  /** The tenant's SCIM integrations (never their tokens). */
  scim_list(): Promise<ScimIntegration[]>;
  /** Adds a SCIM integration and starts Roster's server; the answer carries the bearer token, shown this once. */
  scim_create(args: { name: string; flavor: ScimFlavor }): Promise<IssuedToken>;
  /** Replaces an integration's bearer token; the old one stops working at once. */
  scim_regenerate(args: { key: string }): Promise<IssuedToken>;
  /** Whether Roster's server is serving, where, and why not. */
  server_status(): Promise<ServerStatus>;

  connection_list(): Promise<Connection[]>;
  /**
   * Enters a connection's secret again (its `secret`: an LDAP bind password, a client secret); it goes to the
   * OS keychain and a connection that needed it is ready again. The secret is only ever this argument.
   */
  connection_set_secret(args: { id: string; secret: string }): Promise<Connection>;
  connection_test(args: { id: string }): Promise<ConnectionCheck[]>;
  connection_groups(args: { id: string; query: string; limit: number }): Promise<GroupSummary[]>;
  /** "Test connection" for settings that are not saved yet; nothing is stored. */
  connection_test_draft(args: { connection: LdapConnectionSpec }): Promise<ConnectionCheck[]>;
  /** The group picker for settings that are not saved yet; nothing is stored. */
  connection_groups_draft(args: { connection: LdapConnectionSpec; query: string; limit: number }): Promise<GroupSummary[]>;
  /**
   * Validates, opens the system browser on the vendor's sign-in and consent page, waits (up to 5 minutes) for
   * the admin to approve, then saves the connection with its tokens in the OS keychain. Rejects with
   * `cancelled`, `timeout`, `validation` (the message names the field) or `unauthorized` (the admin denied).
   */
  connection_authorize(args: { connection: CloudConnectionSpec }): Promise<Connection>;
  /** The same sign-in for a saved connection (its directory syncs are kept). */
  connection_reauthorize(args: { id: string }): Promise<Connection>;
  /** Cancels the pending sign-in: its `connection_authorize` / `connection_reauthorize` rejects with `cancelled`. */
  consent_cancel(): Promise<null>;

  sync_run(args: { key: string; dry_run: boolean; approve: boolean }): Promise<RunReport>;
  sync_user(args: { key: string; username: string }): Promise<RunReport>;
  runs_list(args: { key: string | null; limit: number }): Promise<RunSummary[]>;
  run_detail(args: { run_id: number }): Promise<RunReport>;
  /** A page of a run's change log from position `from` (0 first). */
  run_changes(args: { run_id: number; from: number; limit: number }): Promise<ChangePage>;

  users_page(args: PageArgs): Promise<Page<UserRow>>;
  groups_page(args: PageArgs): Promise<Page<GroupRow>>;
  admins_page(args: PageArgs): Promise<Page<AdminRow>>;
  trash_page(args: PageArgs): Promise<Page<UserRow>>;

  // Administrators, who acts, and Settings (issue 13, UI-2).
  /** The operators the window may switch to from who acts now (the current one first). */
  operator_switch_targets(): Promise<SwitchTarget[]>;
  /** Acts as `email` from now on; the backend checks the rule and the passphrase. */
  operator_switch(args: { email: string; passphrase: string | null }): Promise<ActingAs>;
  operators_page(args: { filter: OperatorFilter; offset: number; limit: number }): Promise<Page<Operator>>;
  operator_get(args: { email: string }): Promise<Operator>;
  operator_add(args: { email: string; name: string; role: string }): Promise<Operator>;
  operator_set_role(args: { email: string; role: string }): Promise<Operator>;
  operator_set_status(args: { email: string; status: AdminStatus }): Promise<Operator>;
  /** Sets (a passphrase) or clears (`null`) an operator's local passphrase; only its hash is stored. */
  operator_set_passphrase(args: { email: string; passphrase: string | null }): Promise<Operator>;
  operator_remove(args: { email: string }): Promise<null>;
  role_list(): Promise<CustomRole[]>;
  role_create(args: { name: string; directory_config: DirectoryConfig; run_syncs: RunSyncs }): Promise<CustomRole>;
  tenant_settings(): Promise<TenantSettings>;
  tenant_set_retention(args: { days: number }): Promise<TenantSettings>;
  tenant_set_default_threshold(args: { percent: number }): Promise<TenantSettings>;
  /** The tenant's configuration as JSON (no secrets, no users). */
  tenant_export(): Promise<string>;
  /** A new tenant from an export's JSON (not opened). */
  tenant_import(args: { name: string; export: string }): Promise<Tenant>;
  // Settings: the server's address and certificate, Admin API applications.
  /** The saved server settings (app-wide, one server for every tenant). */
  server_settings(): Promise<ServerSetup>;
  /** Saves new server settings and restarts the server with them (Owner only); a failed start keeps the old ones. */
  server_configure(args: { settings: ServerSetup }): Promise<ServerStatus>;
  /** Duo's Admin API grants the window offers, with their labels. */
  api_grants(): Promise<ApiGrantInfo[]>;
  /** The tenant's Admin API applications (never a secret key). */
  api_list(): Promise<ApiApplicationInfo[]>;
  /** Adds an application (and starts the server); the answer carries the secret key, shown this once. */
  api_create(args: { name: string; grants: string[] }): Promise<IssuedApiKeys>;
  api_set_grants(args: { ikey: string; grants: string[] }): Promise<null>;
  /** A new secret key, shown this once; the old one stops working at once. */
  api_reset_secret(args: { ikey: string }): Promise<IssuedApiKeys>;
  api_delete(args: { ikey: string }): Promise<null>;
  // ---- Issue 13: Manage User Sync, Admin Directory Sync, SCIM Integrations (UI-1) ----
  /** Who the window acts as in the open tenant, and what their role allows (the window offers only that). */
  acting_as(): Promise<ActingAs>;
  /**
   * Deletes a directory sync, keeping its connection (`keep`, the seed's "Delete") or deleting it too (`delete`,
   * "Delete Directory Sync and Connection"); refused while another sync uses the connection.
   */
  directory_delete_with(args: { key: string; connection: ConnectionChoice }): Promise<null>;
  /** Deletes a connection no sync uses, and its secrets. */
  connection_delete(args: { id: string }): Promise<null>;
  /** Cancels a sync's run in progress before it applies anything; its `sync_run` answers the failed run. */
  sync_cancel(args: { key: string }): Promise<null>;
  /** Discards a held run: nothing of it is applied. */
  run_discard(args: { run_id: number }): Promise<RunSummary>;
  // ---- end of issue 13 (UI-1) ----
  // UI-3: the lists searched, filtered and sorted; a user's and a group's page; the trash; Sync History.
  user_list(args: { query: UserListQuery; offset: number; limit: number }): Promise<Page<UserRow>>;
  trash_list(args: { query: UserListQuery; offset: number; limit: number }): Promise<Page<UserRow>>;
  group_list(args: { query: GroupListQuery; offset: number; limit: number }): Promise<Page<GroupRow>>;
  user_detail(args: { user_id: string }): Promise<UserDetail>;
  /** A page of what sync runs changed on a user, newest first (`before`: the previous page's `next`). */
  user_history(args: { user_id: string; before: string | null; limit: number }): Promise<HistoryPage>;
  group_detail(args: { group_id: string }): Promise<GroupDetail>;
  group_members(args: { group_id: string; offset: number; limit: number }): Promise<Page<UserRow>>;
  /** Sets a group's status (Duo's group status); answers the group's row as it is now. */
  group_set_status(args: { group_id: string; status: GroupStatus }): Promise<GroupRow>;
  /** What the acting operator may do on the lists, with why not (from the roles). */
  list_actions(): Promise<ListActions>;
  trash_restore(args: { username: string }): Promise<null>;
  /** Deletes a user in the trash for good now. */
  trash_purge(args: { username: string }): Promise<null>;
  runs_page(args: { key: string | null; outcome: RunOutcome | null; before: number | null; limit: number }): Promise<RunsPage>;
  history_series(args: { per_sync: number }): Promise<HistorySeries>;

  /** Subscribes to the `sync-progress` event; resolves to a function that unsubscribes. */
  onSyncProgress(handler: (progress: ProgressEvent) => void): Promise<Unlisten>;
  /** Subscribes to the `consent-progress` event; resolves to a function that unsubscribes. */
  onConsentProgress(handler: (progress: ConsentProgress) => void): Promise<Unlisten>;
}

/** Counts of a run that has done nothing yet (a progress bar before the first event). */
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
    conflicts: 0,
    memberships: 0,
  };
}
