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
  | 'cancelled'
  | 'timeout'
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
  'cancelled',
  'timeout',
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
/**
 * `scheduled`: runs by itself every interval. `paused`: runs only when started. `waiting`: a new sync whose
 * scheduled runs start only after the admin's first full run (Preview, then Sync Now).
 */
export type Schedule = 'scheduled' | 'paused' | 'waiting';
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
  /**
   * Place in the order of precedence among the syncs of its type (1 first): what two syncs both find
   * belongs to the one that comes first.
   */
  precedence: number;
  /** Users, groups and admins that this sync and another both find. */
  conflicts: number;
}

/** What `directory_add` returns. */
export interface AddedDirectory {
  directory_key: string;
  /** Plain sentences about overlaps with the tenant's other syncs found when adding (empty: none). */
  conflicts: string[];
}

/** What `directory_update` changes; absent fields stay as they are. */
export interface DirectoryPatch {
  name?: string;
  groups?: string[];
  attributes?: Record<string, unknown>;
  interval_minutes?: number;
  deletion_threshold_percent?: number;
  /** New place in the order of precedence among the syncs of its type (1 first). */
  precedence?: number;
}

/** What the forms share with the backend, so they never offer more than it accepts (`app_limits`). */
export interface AppLimits {
  /** The longest tenant, directory sync or connection name, in characters. */
  name_max: number;
}

/** The spec accepted by `directory_add` (the same JSON as `rosterctl directory add --spec`). */
export interface DemoDirectorySpec {
  name: string;
  type: SyncType;
  connection: { kind: 'demo'; seed: number; users: number };
}

// ---------- LDAP directories (Active Directory and OpenLDAP) ----------

export type LdapKind = 'active_directory' | 'openldap';
export type LdapTransport = 'clear' | 'starttls' | 'ldaps';
export type MemberAttribute = 'member' | 'uniqueMember' | 'memberUid';
/** `simple`: bind DN and password (the default). `kerberos`: integrated sign-in with the platform's Kerberos. */
export type LdapBindMethod = 'simple' | 'kerberos';

/**
 * The `connection` object of an LDAP spec (also what the `_draft` commands take). Optional fields are
 * left out rather than sent empty. `bind_password` goes to the OS keychain on `directory_add` and is never
 * stored in Roster's database.
 */
export interface LdapConnectionSpec {
  kind: LdapKind;
  /** Failover order: `ldaps://host:636` or `ldap://host:389`. */
  servers: string[];
  transport: LdapTransport;
  /** Trusted CA certificate(s), PEM text. Absent: the system's trusted CAs. */
  ca_pem?: string;
  verify_hostname?: boolean;
  /** Absent: anonymous bind (or Kerberos). */
  bind_dn?: string;
  /** Absent: `simple`. Kerberos uses the ticket of whoever runs Roster (GSSAPI, or SSPI on Windows); no password. */
  bind_method?: LdapBindMethod;
  /** Kerberos: the server's host name in its service principal `ldap/<host>`, when the address is an IP or alias. */
  kerberos_host?: string;
  bind_password?: string;
  base_dn: string;
  /** Allow a password bind over a clear (unencrypted) transport. */
  allow_clear_password?: boolean;
  /** OpenLDAP only (defaults: inetOrgPerson; groupOfNames/groupOfUniqueNames/posixGroup; member). */
  user_object_class?: string;
  group_object_class?: string;
  member_attribute?: MemberAttribute;
  /** OpenLDAP: an attribute (and value; absent = any value) that marks an account disabled. */
  disabled_when?: { attribute: string; value?: string };
  /** Display name of the connection; defaults to the first server. */
  name?: string;
}

/** Source attribute names for the user fields. Empty optional ones are left out. */
export interface AttributeSpec {
  /** Required; fixed after the first sync. */
  username: string;
  email?: string;
  realname?: string;
  firstname?: string;
  lastname?: string;
}

/** Administrator roles a group may map to (Owner is never synced). */
export type AdminRoleName =
  | 'Administrator'
  | 'Application Manager'
  | 'User Manager'
  | 'Security Analyst'
  | 'Help Desk'
  | 'Billing'
  | 'Phishing Manager'
  | 'Read-only';

export interface LdapDirectorySpec {
  name: string;
  type: SyncType;
  connection: LdapConnectionSpec;
  /** User syncs: the selected groups' DNs. */
  groups?: string[];
  /** Admin syncs: group DN -> role. */
  roles?: Record<string, AdminRoleName>;
  attributes: AttributeSpec;
}

// ---------- Cloud directories (Entra ID, Google Workspace, Okta) ----------

export type CloudKind = 'entra' | 'google' | 'okta';
export type EntraCloud = 'global' | 'us_government' | 'china';

/**
 * What `connection_authorize` takes. With `demo: true` nothing else is needed: the app starts its built-in
 * offline emulator of that vendor and serves the consent page locally. Optional fields are left out rather
 * than sent empty; the `*_url` fields override the vendor's endpoints (emulators, proxies).
 */
export type CloudConnectionSpec = EntraConnectionSpec | GoogleConnectionSpec | OktaConnectionSpec;

export interface EntraConnectionSpec {
  kind: 'entra';
  name?: string;
  demo?: boolean;
  /** Directory (tenant) ID, or the tenant's domain. */
  tenant?: string;
  /** Application (client) ID of the customer's own app registration. */
  client_id?: string;
  cloud?: EntraCloud;
  include_guests?: boolean;
  authority_url?: string;
  graph_url?: string;
}

export interface GoogleConnectionSpec {
  kind: 'google';
  name?: string;
  demo?: boolean;
  client_id?: string;
  /** Goes to the OS keychain; never returned. */
  client_secret?: string;
  /** Customer ID (C0…); absent: the signed-in admin's own account ("my_customer"). */
  customer?: string;
  domain?: string;
  authorize_url?: string;
  token_url?: string;
  api_url?: string;
}

export interface OktaConnectionSpec {
  kind: 'okta';
  name?: string;
  demo?: boolean;
  /** https://acme.okta.com */
  org_url?: string;
  client_id?: string;
  authorize_url?: string;
  token_url?: string;
  api_url?: string;
}

/** A sync over a saved (authorized) cloud connection, referenced by its id. */
export interface CloudDirectorySpec {
  name: string;
  type: SyncType;
  /** The id of a saved connection (from `connection_authorize` or `connection_list`). */
  connection: string;
  /** User syncs: the selected groups' ids (opaque cloud ids). */
  groups?: string[];
  /** Admin syncs: group id -> role. */
  roles?: Record<string, AdminRoleName>;
}

/** Payload of the `consent-progress` event, emitted once the system browser was opened on the consent page. */
export interface ConsentProgress {
  state: 'waiting';
  authorization_url: string;
  /** The vendor's display name, e.g. "Microsoft Entra ID" or "Okta (demo)". */
  vendor: string;
}

export type DirectorySpec = DemoDirectorySpec | LdapDirectorySpec | CloudDirectorySpec | Record<string, unknown>;

// ---------- Connections ----------

export type ConnectionStatus = 'ready' | 'needs_credentials' | 'needs_reauthorization';

/** A saved connection, as `connection_list` returns it (the `Connection` of the contract). */
export interface ConnectionInfo {
  id: string;
  kind: ConnectionKind;
  name: string;
  /** Never secrets. LDAP: servers, transport, ca_pem, verify_hostname, bind_dn, base_dn, … */
  config: Record<string, unknown>;
  status: ConnectionStatus;
  authorized_by: string | null;
  authorized_at: Timestamp | null;
  /** Names of the directory syncs using it. */
  used_by: string[];
}

/** LDAP: resolve … base_dn; demo directories: demo; cloud connections: settings, sign_in, read_groups. */
export type CheckStep = 'resolve' | 'connect' | 'tls' | 'bind' | 'base_dn' | 'demo' | 'settings' | 'sign_in' | 'read_groups';

/** One step of "Test connection". The last check passed = the connection works. */
export interface ConnectionCheck {
  step: CheckStep;
  server: string;
  ok: boolean;
  /** For tls: subject, issuer, validity and SHA-256 fingerprint. */
  detail: string;
}

/** A group offered by the group picker. */
export interface GroupSummary {
  /** The DN. */
  external_id: string;
  name: string;
  member_count: number | null;
}

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
  /** Users, groups or admins that another sync also finds. */
  conflicts: number;
  /** Users another sync manages whose membership of this sync's groups changed. */
  memberships: number;
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

/** A skipped entry: `key` is its DN (LDAP) or sign-in name (cloud directories), `name` its display name. */
export interface EntryError {
  key: string;
  name?: string;
  message: string;
}

/** A user, group or admin that this sync and another both find, and which of the two keeps it. */
export interface Conflict {
  object: ChangeObject;
  /** Username, group name or admin email. */
  key: string;
  /** The other sync's key. */
  other: string;
  other_name: string;
  /** Whether the sync of this report keeps the object (it comes first in the order of precedence). */
  kept: boolean;
  /** What happened and what to do, in plain English. */
  message: string;
}

export interface RunReport extends Omit<RunSummary, 'run_id'> {
  /** Null for previews (they are never recorded). */
  run_id: number | null;
  /** The first changes (up to 1,000); the rest are read with `run_changes`. */
  changes: Change[];
  /** How many objects the run changed (or would change). */
  changes_total: number;
  errors: EntryError[];
  conflicts: Conflict[];
  held_reason: string | null;
}

/** A page of a run's change log (`run_changes`). */
export interface ChangePage {
  changes: Change[];
  /** Where the next page starts, or null after the last. */
  next: number | null;
}

export type ProgressPhase = 'fetching' | 'planning' | 'applying' | 'done' | 'failed' | 'held';

/** Payload of the `sync-progress` event. */
export interface SyncProgress {
  /** The tenant whose run this is: a window shows only its open tenant's runs. */
  tenant: string;
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
  /** Rows matching the query, in all pages. The window asks by offset, and those pages are always counted. */
  total: number | null;
  rows: T[];
  /** Where the next page starts (for reading a whole list by key), or null after the last page. */
  next: string | null;
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
  app_limits(): Promise<AppLimits>;

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

  connection_list(): Promise<ConnectionInfo[]>;
  /**
   * Enters a connection's secret again (an LDAP bind password, a Google client secret); it goes to the OS
   * keychain and a connection that needed it is ready again. The secret is only ever this argument.
   */
  connection_set_secret(args: { id: string; secret: string }): Promise<ConnectionInfo>;
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
  connection_authorize(args: { connection: CloudConnectionSpec }): Promise<ConnectionInfo>;
  /** The same sign-in for a saved connection (its directory syncs are kept). */
  connection_reauthorize(args: { id: string }): Promise<ConnectionInfo>;
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

  /** Subscribes to the `sync-progress` event; resolves to a function that unsubscribes. */
  onSyncProgress(handler: (progress: SyncProgress) => void): Promise<Unlisten>;
  /** Subscribes to the `consent-progress` event; resolves to a function that unsubscribes. */
  onConsentProgress(handler: (progress: ConsentProgress) => void): Promise<Unlisten>;
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
    conflicts: 0,
    memberships: 0,
  };
}
