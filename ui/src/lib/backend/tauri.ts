// TauriBackend: calls the Rust shell through `invoke` and listens to `sync-progress` and `consent-progress`.
// Argument objects are passed exactly as the contract spells them (snake_case keys).

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  AddedDirectory,
  AdminRow,
  AppLimits,
  Backend,
  RunOutcome,
  ChangePage,
  CloudConnectionSpec,
  Connection,
  ConnectionCheck,
  ConnectionKindInfo,
  ConsentProgress,
  DirectoryPatch,
  DirectorySpec,
  DirectorySummary,
  GroupRow,
  GroupStatus,
  GroupSummary,
  IssuedToken,
  LdapConnectionSpec,
  Page,
  PageArgs,
  RunReport,
  ProgressEvent,
  RunSummary,
  ScimFlavor,
  ScimIntegration,
  ServerStatus,
  Tenant,
  Unlisten,
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
  RunsPage,
  UserDetail,
  UserListQuery,
} from './backend';
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
} from './backend';

// Settings: the server's address and certificate, Admin API applications.
import type { ApiApplicationInfo, ApiGrantInfo, IssuedApiKeys, ServerSetup } from './backend';

export const SYNC_PROGRESS_EVENT = 'sync-progress';
export const CONSENT_PROGRESS_EVENT = 'consent-progress';

export class TauriBackend implements Backend {
  /**
   * The tenant this window shows. It is the window's state, not the backend's: every command about a tenant
   * names it, so another window, the SCIM server or the Admin API are never redirected by a switch here.
   */
  private tenant: string | null = null;

  /** Invokes a tenant's command, naming the open tenant (the remembered one until the window switches). */
  private async scoped<T>(cmd: string, args: object): Promise<T> {
    if (this.tenant === null) await this.tenant_list();
    return invoke(cmd, { tenant: this.tenant, ...args });
  }

  app_limits(): Promise<AppLimits> {
    return invoke('app_limits', {});
  }
  connection_kinds(): Promise<ConnectionKindInfo[]> {
    return invoke('connection_kinds', {});
  }

  async tenant_list(): Promise<Tenant[]> {
    const tenants = await invoke<Tenant[]>('tenant_list', {});
    const shown = tenants.find((t) => t.id === this.tenant);
    if (!shown) this.tenant = tenants.find((t) => t.current)?.id ?? null;
    return tenants.map((t) => ({ ...t, current: t.id === this.tenant }));
  }
  tenant_create(args: { name: string }): Promise<Tenant> {
    return invoke('tenant_create', args);
  }
  async tenant_switch(args: { id: string }): Promise<Tenant> {
    const tenant = await invoke<Tenant>('tenant_switch', args);
    this.tenant = tenant.id;
    return tenant;
  }
  tenant_rename(args: { id: string; name: string }): Promise<Tenant> {
    return invoke('tenant_rename', args);
  }
  tenant_delete(args: { id: string }): Promise<null> {
    return invoke('tenant_delete', args);
  }

  directory_list(): Promise<DirectorySummary[]> {
    return this.scoped('directory_list', {});
  }
  directory_add(args: { spec: DirectorySpec }): Promise<AddedDirectory> {
    return this.scoped('directory_add', args);
  }
  directory_update(args: { key: string; patch: DirectoryPatch }): Promise<DirectorySummary> {
    return this.scoped('directory_update', args);
  }
  directory_pause(args: { key: string }): Promise<DirectorySummary> {
    return this.scoped('directory_pause', args);
  }
  directory_resume(args: { key: string }): Promise<DirectorySummary> {
    return this.scoped('directory_resume', args);
  }
  directory_delete(args: { key: string }): Promise<null> {
    return this.scoped('directory_delete', args);
  }

  scim_list(): Promise<ScimIntegration[]> {
    return this.scoped('scim_list', {});
  }
  scim_create(args: { name: string; flavor: ScimFlavor }): Promise<IssuedToken> {
    return this.scoped('scim_create', args);
  }
  scim_regenerate(args: { key: string }): Promise<IssuedToken> {
    return this.scoped('scim_regenerate', args);
  }
  server_status(): Promise<ServerStatus> {
    return invoke('server_status', {});
  }

  connection_list(): Promise<Connection[]> {
    return this.scoped('connection_list', {});
  }
  connection_set_secret(args: { id: string; secret: string }): Promise<Connection> {
    return this.scoped('connection_set_secret', args);
  }
  connection_test(args: { id: string }): Promise<ConnectionCheck[]> {
    return this.scoped('connection_test', args);
  }
  connection_groups(args: { id: string; query: string; limit: number }): Promise<GroupSummary[]> {
    return this.scoped('connection_groups', args);
  }
  connection_test_draft(args: { connection: LdapConnectionSpec }): Promise<ConnectionCheck[]> {
    return this.scoped('connection_test_draft', args);
  }
  connection_groups_draft(args: { connection: LdapConnectionSpec; query: string; limit: number }): Promise<GroupSummary[]> {
    return this.scoped('connection_groups_draft', args);
  }
  connection_authorize(args: { connection: CloudConnectionSpec }): Promise<Connection> {
    return this.scoped('connection_authorize', args);
  }
  connection_reauthorize(args: { id: string }): Promise<Connection> {
    return this.scoped('connection_reauthorize', args);
  }
  consent_cancel(): Promise<null> {
    return invoke('consent_cancel', {});
  }

  sync_run(args: { key: string; dry_run: boolean; approve: boolean }): Promise<RunReport> {
    return this.scoped('sync_run', args);
  }
  sync_user(args: { key: string; username: string }): Promise<RunReport> {
    return this.scoped('sync_user', args);
  }
  runs_list(args: { key: string | null; limit: number }): Promise<RunSummary[]> {
    return this.scoped('runs_list', args);
  }
  run_detail(args: { run_id: number }): Promise<RunReport> {
    return this.scoped('run_detail', args);
  }
  run_changes(args: { run_id: number; from: number; limit: number }): Promise<ChangePage> {
    return this.scoped('run_changes', args);
  }

  users_page(args: PageArgs): Promise<Page<UserRow>> {
    return this.scoped('users_page', args);
  }
  groups_page(args: PageArgs): Promise<Page<GroupRow>> {
    return this.scoped('groups_page', args);
  }
  admins_page(args: PageArgs): Promise<Page<AdminRow>> {
    return this.scoped('admins_page', args);
  }
  trash_page(args: PageArgs): Promise<Page<UserRow>> {
    return this.scoped('trash_page', args);
  }
  // UI-3: the lists, a user's and a group's page, the trash, Sync History.
  user_list(args: { query: UserListQuery; offset: number; limit: number }): Promise<Page<UserRow>> {
    return this.scoped('user_list', args);
  }
  trash_list(args: { query: UserListQuery; offset: number; limit: number }): Promise<Page<UserRow>> {
    return this.scoped('trash_list', args);
  }
  group_list(args: { query: GroupListQuery; offset: number; limit: number }): Promise<Page<GroupRow>> {
    return this.scoped('group_list', args);
  }
  user_detail(args: { user_id: string }): Promise<UserDetail> {
    return this.scoped('user_detail', args);
  }
  user_history(args: { user_id: string; before: string | null; limit: number }): Promise<HistoryPage> {
    return this.scoped('user_history', args);
  }
  group_detail(args: { group_id: string }): Promise<GroupDetail> {
    return this.scoped('group_detail', args);
  }
  group_members(args: { group_id: string; offset: number; limit: number }): Promise<Page<UserRow>> {
    return this.scoped('group_members', args);
  }
  group_set_status(args: { group_id: string; status: GroupStatus }): Promise<GroupRow> {
    return this.scoped('group_set_status', args);
  }
  list_actions(): Promise<ListActions> {
    return this.scoped('list_actions', {});
  }
  trash_restore(args: { username: string }): Promise<null> {
    return this.scoped('trash_restore', args);
  }
  trash_purge(args: { username: string }): Promise<null> {
    return this.scoped('trash_purge', args);
  }
  runs_page(args: { key: string | null; outcome: RunOutcome | null; before: number | null; limit: number }): Promise<RunsPage> {
    return this.scoped('runs_page', args);
  }
  history_series(args: { per_sync: number }): Promise<HistorySeries> {
    return this.scoped('history_series', args);
  }


  // Administrators, who acts, and Settings (issue 13, UI-2).
  operator_switch_targets(): Promise<SwitchTarget[]> {
    return this.scoped('operator_switch_targets', {});
  }
  operator_switch(args: { email: string; passphrase: string | null }): Promise<ActingAs> {
    return this.scoped('operator_switch', args);
  }
  operators_page(args: { filter: OperatorFilter; offset: number; limit: number }): Promise<Page<Operator>> {
    return this.scoped('operators_page', args);
  }
  operator_get(args: { email: string }): Promise<Operator> {
    return this.scoped('operator_get', args);
  }
  operator_add(args: { email: string; name: string; role: string }): Promise<Operator> {
    return this.scoped('operator_add', args);
  }
  operator_set_role(args: { email: string; role: string }): Promise<Operator> {
    return this.scoped('operator_set_role', args);
  }
  operator_set_status(args: { email: string; status: AdminStatus }): Promise<Operator> {
    return this.scoped('operator_set_status', args);
  }
  operator_set_passphrase(args: { email: string; passphrase: string | null }): Promise<Operator> {
    return this.scoped('operator_set_passphrase', args);
  }
  operator_remove(args: { email: string }): Promise<null> {
    return this.scoped('operator_remove', args);
  }
  role_list(): Promise<CustomRole[]> {
    return this.scoped('role_list', {});
  }
  role_create(args: { name: string; directory_config: DirectoryConfig; run_syncs: RunSyncs }): Promise<CustomRole> {
    return this.scoped('role_create', args);
  }
  tenant_settings(): Promise<TenantSettings> {
    return this.scoped('tenant_settings', {});
  }
  tenant_set_retention(args: { days: number }): Promise<TenantSettings> {
    return this.scoped('tenant_set_retention', args);
  }
  tenant_set_default_threshold(args: { percent: number }): Promise<TenantSettings> {
    return this.scoped('tenant_set_default_threshold', args);
  }
  tenant_export(): Promise<string> {
    return this.scoped('tenant_export', {});
  }
  tenant_import(args: { name: string; export: string }): Promise<Tenant> {
    return invoke('tenant_import', args);
  }
  // Settings: the server's address and certificate, Admin API applications.
  server_settings(): Promise<ServerSetup> {
    return invoke('server_settings', {});
  }
  server_configure(args: { settings: ServerSetup }): Promise<ServerStatus> {
    return this.scoped('server_configure', args);
  }
  api_grants(): Promise<ApiGrantInfo[]> {
    return invoke('api_grants', {});
  }
  api_list(): Promise<ApiApplicationInfo[]> {
    return this.scoped('api_list', {});
  }
  api_create(args: { name: string; grants: string[] }): Promise<IssuedApiKeys> {
    return this.scoped('api_create', args);
  }
  api_set_grants(args: { ikey: string; grants: string[] }): Promise<null> {
    return this.scoped('api_set_grants', args);
  }
  api_reset_secret(args: { ikey: string }): Promise<IssuedApiKeys> {
    return this.scoped('api_reset_secret', args);
  }
  api_delete(args: { ikey: string }): Promise<null> {
    return this.scoped('api_delete', args);
  }
  // ---- Issue 13: Manage User Sync, Admin Directory Sync, SCIM Integrations (UI-1) ----
  acting_as(): Promise<ActingAs> {
    return this.scoped('acting_as', {});
  }
  directory_delete_with(args: { key: string; connection: ConnectionChoice }): Promise<null> {
    return this.scoped('directory_delete_with', args);
  }
  connection_delete(args: { id: string }): Promise<null> {
    return this.scoped('connection_delete', args);
  }
  sync_cancel(args: { key: string }): Promise<null> {
    return this.scoped('sync_cancel', args);
  }
  run_discard(args: { run_id: number }): Promise<RunSummary> {
    return this.scoped('run_discard', args);
  }
  // ---- end of issue 13 (UI-1) ----

  async onSyncProgress(handler: (progress: ProgressEvent) => void): Promise<Unlisten> {
    return listen<ProgressEvent>(SYNC_PROGRESS_EVENT, (event) => handler(event.payload));
  }

  async onConsentProgress(handler: (progress: ConsentProgress) => void): Promise<Unlisten> {
    return listen<ConsentProgress>(CONSENT_PROGRESS_EVENT, (event) => handler(event.payload));
  }
}
