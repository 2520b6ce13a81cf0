// TauriBackend: calls the Rust shell through `invoke` and listens to `sync-progress` and `consent-progress`.
// Argument objects are passed exactly as the contract spells them (snake_case keys).

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  AddedDirectory,
  AdminRow,
  AppLimits,
  Backend,
  ChangePage,
  CloudConnectionSpec,
  ConnectionCheck,
  ConnectionInfo,
  ConsentProgress,
  DirectoryPatch,
  DirectorySpec,
  DirectorySummary,
  GroupRow,
  GroupSummary,
  LdapConnectionSpec,
  Page,
  PageArgs,
  RunReport,
  RunSummary,
  SyncProgress,
  Tenant,
  Unlisten,
  UserRow,
} from './backend';

export const SYNC_PROGRESS_EVENT = 'sync-progress';
export const CONSENT_PROGRESS_EVENT = 'consent-progress';

export class TauriBackend implements Backend {
  app_limits(): Promise<AppLimits> {
    return invoke('app_limits', {});
  }

  tenant_list(): Promise<Tenant[]> {
    return invoke('tenant_list', {});
  }
  tenant_create(args: { name: string }): Promise<Tenant> {
    return invoke('tenant_create', args);
  }
  tenant_switch(args: { id: string }): Promise<Tenant> {
    return invoke('tenant_switch', args);
  }
  tenant_rename(args: { id: string; name: string }): Promise<Tenant> {
    return invoke('tenant_rename', args);
  }
  tenant_delete(args: { id: string }): Promise<null> {
    return invoke('tenant_delete', args);
  }

  directory_list(): Promise<DirectorySummary[]> {
    return invoke('directory_list', {});
  }
  directory_add(args: { spec: DirectorySpec }): Promise<AddedDirectory> {
    return invoke('directory_add', args);
  }
  directory_update(args: { key: string; patch: DirectoryPatch }): Promise<DirectorySummary> {
    return invoke('directory_update', args);
  }
  directory_pause(args: { key: string }): Promise<DirectorySummary> {
    return invoke('directory_pause', args);
  }
  directory_resume(args: { key: string }): Promise<DirectorySummary> {
    return invoke('directory_resume', args);
  }

  connection_list(): Promise<ConnectionInfo[]> {
    return invoke('connection_list', {});
  }
  connection_set_secret(args: { id: string; secret: string }): Promise<ConnectionInfo> {
    return invoke('connection_set_secret', args);
  }
  connection_test(args: { id: string }): Promise<ConnectionCheck[]> {
    return invoke('connection_test', args);
  }
  connection_groups(args: { id: string; query: string; limit: number }): Promise<GroupSummary[]> {
    return invoke('connection_groups', args);
  }
  connection_test_draft(args: { connection: LdapConnectionSpec }): Promise<ConnectionCheck[]> {
    return invoke('connection_test_draft', args);
  }
  connection_groups_draft(args: { connection: LdapConnectionSpec; query: string; limit: number }): Promise<GroupSummary[]> {
    return invoke('connection_groups_draft', args);
  }
  connection_authorize(args: { connection: CloudConnectionSpec }): Promise<ConnectionInfo> {
    return invoke('connection_authorize', args);
  }
  connection_reauthorize(args: { id: string }): Promise<ConnectionInfo> {
    return invoke('connection_reauthorize', args);
  }
  consent_cancel(): Promise<null> {
    return invoke('consent_cancel', {});
  }

  sync_run(args: { key: string; dry_run: boolean; approve: boolean }): Promise<RunReport> {
    return invoke('sync_run', args);
  }
  sync_user(args: { key: string; username: string }): Promise<RunReport> {
    return invoke('sync_user', args);
  }
  runs_list(args: { key: string | null; limit: number }): Promise<RunSummary[]> {
    return invoke('runs_list', args);
  }
  run_detail(args: { run_id: number }): Promise<RunReport> {
    return invoke('run_detail', args);
  }
  run_changes(args: { run_id: number; from: number; limit: number }): Promise<ChangePage> {
    return invoke('run_changes', args);
  }

  users_page(args: PageArgs): Promise<Page<UserRow>> {
    return invoke('users_page', args);
  }
  groups_page(args: PageArgs): Promise<Page<GroupRow>> {
    return invoke('groups_page', args);
  }
  admins_page(args: PageArgs): Promise<Page<AdminRow>> {
    return invoke('admins_page', args);
  }
  trash_page(args: PageArgs): Promise<Page<UserRow>> {
    return invoke('trash_page', args);
  }

  async onSyncProgress(handler: (progress: SyncProgress) => void): Promise<Unlisten> {
    return listen<SyncProgress>(SYNC_PROGRESS_EVENT, (event) => handler(event.payload));
  }

  async onConsentProgress(handler: (progress: ConsentProgress) => void): Promise<Unlisten> {
    return listen<ConsentProgress>(CONSENT_PROGRESS_EVENT, (event) => handler(event.payload));
  }
}
