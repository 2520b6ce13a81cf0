// MockBackend: an in-memory stand-in for the Rust shell.
// Used by the vitest suites and when the page is opened in a plain browser (outside Tauri).
// It follows src-tauri/ipc-contract.md: same argument objects, same result shapes, and it rejects
// with {code, message} like the real commands do. The data is generated from fixed seeds, so it is
// the same on every load.

import {
  emptyCounts,
  type AddedDirectory,
  type AdminRow,
  type AppLimits,
  type ChangePage,
  type Conflict,
  type DirectoryPatch,
  type AdminStatus,
  type Backend,
  type Change,
  type CloudConnectionSpec,
  type CloudKind,
  type Code,
  type CommandError,
  type Connection,
  type ConnectionCheck,
  type ConnectionInfo,
  type ConnectionStatus,
  type ConsentProgress,
  type Counts,
  type DirectorySpec,
  type DirectoryStatus,
  type DirectorySummary,
  type FieldChange,
  type GroupRow,
  type GroupSummary,
  type LdapConnectionSpec,
  type Outcome,
  type Page,
  type PageArgs,
  type ProgressPhase,
  type RunReport,
  type RunSummary,
  type Schedule,
  type SyncProgress,
  type SyncType,
  type Tenant,
  type Trigger,
  type Unlisten,
  type UserRow,
  type UserStatus,
  type AdminRoleName,
} from './backend';
import {
  checkCloudSpec,
  cloudConfig,
  cloudConnectionName,
  cloudDomain,
  consentAnswer,
  consentUrl,
  findCloudGroup,
  searchCloudGroups,
  signedInAs,
  vendorName,
} from './mockCloud';
import {
  checkAttributes,
  checkDraftConnection,
  checkRoles,
  checkSpecConnection,
  diagnose,
  domainOf,
  memberCountOf,
  openError,
  searchGroups,
  SPEC_FIELDS,
} from './mockLdap';
import { checkName, NAME_MAX } from './mockNames';

export interface MockOptions {
  /** Delay before every command answers, in ms (0 in tests). */
  latencyMs?: number;
  /** Extra delay of the commands that would talk to a directory server (test, group search), in ms. */
  networkLatencyMs?: number;
  /** Delay between two progress events of a run, in ms (0 in tests). */
  progressStepMs?: number;
  /** Clock; tests pin it. */
  now?: () => Date;
  /** Start with the sample tenants and directories (default true). */
  sampleData?: boolean;
  /** How long the simulated admin takes to approve Roster on the consent page, in ms (0 in tests). */
  consentDelayMs?: number;
  /** How long a sign-in waits for approval before it gives up (the app waits 5 minutes). */
  consentTimeoutMs?: number;
}

/** How long the app waits for the admin to approve Roster in the browser. */
export const CONSENT_TIMEOUT_MS = 5 * 60_000;

/** Share of managed users a single run may move to the trash before it is held for approval. */
export const TRASH_SAFETY_LIMIT = 0.1;
/** Days a user stays in the trash before being deleted for good. */
export const TRASH_DAYS = 7;

const MAX_DEMO_USERS = 200_000;
/** How many changes a report carries; the rest are read page by page (the engine's REPORT_CHANGES). */
export const REPORT_CHANGES = 1000;

// ---------- deterministic data ----------

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

const FIRST = [
  'Ada', 'Alan', 'Amara', 'Anna', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Chloe', 'Dana', 'David', 'Elena', 'Emeka',
  'Erin', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Isaac', 'Jamal', 'Jana', 'Jon', 'Kai', 'Keiko',
  'Lars', 'Leila', 'Liam', 'Lucia', 'Maya', 'Mateo', 'Mira', 'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Quinn',
  'Rafael', 'Rosa', 'Sam', 'Sara', 'Tariq', 'Tess', 'Uma', 'Victor', 'Wen', 'Yara', 'Zoe',
] as const;
const LAST = [
  'Abbott', 'Adeyemi', 'Alvarez', 'Andersen', 'Baker', 'Bauer', 'Brown', 'Castillo', 'Chen', 'Cohen', 'Costa',
  'Dubois', 'Evans', 'Fischer', 'Garcia', 'Gupta', 'Hansen', 'Hughes', 'Ivanova', 'Jensen', 'Kato', 'Khan', 'Kim',
  'Kowalski', 'Larsen', 'Lopez', 'Martin', 'Meyer', 'Moreau', 'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen',
  'Patel', 'Petrov', 'Quinn', 'Rossi', 'Santos', 'Schmidt', 'Silva', 'Singh', 'Smith', 'Tanaka', 'Torres',
  'Varga', 'Wagner', 'Walsh', 'Weber', 'Yilmaz',
] as const;
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing', 'Legal', 'Operations', 'People'] as const;
const ADMIN_ROLES = [
  'Owner', 'Administrator', 'Application Manager', 'User Manager', 'Help Desk', 'Billing', 'Read-only',
] as const;

interface SourceUser {
  username: string;
  realname: string;
  email: string;
  status: 'active' | 'disabled';
  groups: string[];
}

interface SourceAdmin {
  name: string;
  email: string;
  role: string;
  status: AdminStatus;
}

type Scenario = 'normal' | 'shrinks' | 'unreachable';

function makePeople(seed: number, count: number, domain: string, taken: Set<string> = new Set()) {
  const rng = new Rng(seed);
  const out: { username: string; realname: string; email: string; dept: string; second: string | null }[] = [];
  const used = new Map<string, number>();
  while (out.length < count) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const base = `${first}.${last}`.toLowerCase();
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const username = n === 1 ? base : `${base}${n}`;
    const dept = rng.pick(DEPARTMENTS);
    const second = rng.next() < 0.2 ? rng.pick(['VPN users', 'Managers', 'On-call']) : null;
    if (taken.has(username)) continue;
    taken.add(username);
    out.push({ username, realname: `${first} ${last}`, email: `${username}@${domain}`, dept, second });
  }
  return out;
}

// ---------- internal state ----------

interface MUser extends UserRow {
  directory_key: string | null;
}

interface MGroup {
  group_id: string;
  name: string;
  description: string;
  directory_key: string | null;
  managed_by: string | null;
}

interface MAdmin extends AdminRow {
  directory_key: string | null;
}

interface MDirectory {
  directory_key: string;
  name: string;
  sync_type: SyncType;
  connection: Connection;
  schedule: Schedule;
  interval_minutes: number;
  last_full_sync: string | null;
  status: DirectoryStatus;
  last_run: RunSummary | null;
  seed: number;
  size: number;
  domain: string;
  /** How many runs have been applied; the source drifts a little with every applied run. */
  step: number;
  scenario: Scenario;
  running: boolean;
  /** Selected groups, or "group → role" for admin syncs (default: a fixed sample). */
  groups?: string[];
  usernameAttribute?: string;
  /** The connection's stored settings (never secrets) and, for LDAP, the password "in the keychain". */
  config?: Record<string, unknown>;
  secret?: string;
  /** Place in the order of precedence among the syncs of its type (1 first). */
  precedence: number;
  /** Whether its schedule has started (the admin's first full run, or `first_run` in the spec). */
  scheduleStarted: boolean;
  /** The connection's status, for LDAP connections (cloud ones keep theirs on MCloudConnection). */
  connectionStatus?: ConnectionStatus;
}

/** An object two syncs both find: the loser reported it, the winner keeps it (store's sync_conflicts). */
interface MConflict {
  object: Change['object'];
  key: string;
  loser: string;
  winner: string;
}

/** A saved cloud connection: settings (never secrets), the stand-in "keychain" spec and the sign-in state. */
interface MCloudConnection {
  id: string;
  kind: CloudKind;
  name: string;
  /** The spec it was authorized with (the client secret "in the keychain"). */
  spec: CloudConnectionSpec;
  status: ConnectionStatus;
  authorized_by: string | null;
  authorized_at: string | null;
  domain: string;
}

interface TenantState {
  tenant: Tenant;
  directories: MDirectory[];
  cloud: MCloudConnection[];
  users: MUser[];
  groups: MGroup[];
  admins: MAdmin[];
  runs: Recorded[];
  /** Every change of each recorded run (its report carries only the first REPORT_CHANGES). */
  changeLogs: Map<number, Change[]>;
  conflicts: MConflict[];
  nextRunId: number;
  nextId: number;
  version: number;
  cache: { version: number; lists: Map<string, unknown[]> };
}

/** A run the history keeps (previews are never recorded). */
type Recorded = RunReport & { run_id: number };

interface PlannedOp {
  /** null for bookkeeping that is not a visible change (e.g. stamping last_directory_sync). */
  change: Change | null;
  apply: () => void;
}

function changesOf(ops: PlannedOp[]): Change[] {
  const out: Change[] = [];
  for (const o of ops) if (o.change) out.push(o.change);
  return out;
}

interface Plan {
  ops: PlannedOp[];
  counts: Counts;
  managed: number;
  trashing: number;
  errors: { key: string; message: string }[];
  /** Objects another sync that comes first manages: left to it. */
  conflicts: Conflict[];
}

function fail(code: Code, message: string): CommandError {
  return { code, message };
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'directory'
  );
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function field(name: string, before: string | null, after: string | null): FieldChange {
  return { field: name, before, after };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class MockBackend implements Backend {
  private tenants: TenantState[] = [];
  private currentId = '';
  private listeners = new Set<(p: SyncProgress) => void>();
  private consentListeners = new Set<(p: ConsentProgress) => void>();
  /** The sign-in waiting for approval in the browser (one at a time, like the app). */
  private pendingConsent: { cancel: () => void } | null = null;
  private consentAttempts = 0;
  private readonly consentDelayMs: number;
  private readonly consentTimeoutMs: number;
  private readonly latencyMs: number;
  private readonly networkLatencyMs: number;
  private readonly progressStepMs: number;
  private readonly now: () => Date;
  private nextTenant = 1;

  constructor(opts: MockOptions = {}) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.networkLatencyMs = opts.networkLatencyMs ?? 0;
    this.progressStepMs = opts.progressStepMs ?? 0;
    this.now = opts.now ?? (() => new Date());
    this.consentDelayMs = opts.consentDelayMs ?? 0;
    this.consentTimeoutMs = opts.consentTimeoutMs ?? CONSENT_TIMEOUT_MS;
    if (opts.sampleData ?? true) {
      this.seedSampleData();
    } else {
      const t = this.newTenant('Default');
      this.currentId = t.tenant.id;
    }
  }

  async app_limits(): Promise<AppLimits> {
    await this.delay();
    return { name_max: NAME_MAX };
  }

  // ---------- tenants ----------

  async tenant_list(): Promise<Tenant[]> {
    await this.delay();
    return this.tenants.map((t) => this.tenantDto(t));
  }

  async tenant_create({ name }: { name: string }): Promise<Tenant> {
    await this.delay();
    const clean = this.checkTenantName(name, null);
    return this.tenantDto(this.newTenant(clean));
  }

  async tenant_switch({ id }: { id: string }): Promise<Tenant> {
    await this.delay();
    const t = this.findTenant(id);
    this.currentId = t.tenant.id;
    return this.tenantDto(t);
  }

  async tenant_rename({ id, name }: { id: string; name: string }): Promise<Tenant> {
    await this.delay();
    const t = this.findTenant(id);
    t.tenant.name = this.checkTenantName(name, id);
    return this.tenantDto(t);
  }

  async tenant_delete({ id }: { id: string }): Promise<null> {
    await this.delay();
    const t = this.findTenant(id);
    if (t.tenant.id === this.currentId) {
      throw fail(
        'conflict',
        `"${t.tenant.name}" is the open tenant and can't be deleted. Switch to another tenant first, then delete it.`,
      );
    }
    this.tenants = this.tenants.filter((x) => x !== t);
    return null;
  }

  // ---------- directories ----------

  async directory_list(): Promise<DirectorySummary[]> {
    await this.delay();
    const st = this.state();
    return st.directories.map((d) => this.directoryDto(st, d));
  }

  async directory_add({ spec }: { spec: DirectorySpec }): Promise<AddedDirectory> {
    await this.delay();
    const st = this.state();
    const s = spec as Record<string, unknown>;
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw fail('validation', 'The directory spec must be a JSON object.');
    if (typeof s.connection === 'string') return this.addCloud(st, s, s.connection);
    const conn = (s.connection ?? {}) as Record<string, unknown>;
    if (conn.kind === 'active_directory' || conn.kind === 'openldap') return this.addLdap(st, s, conn);
    const name = checkName('directory sync', s.name);
    const type = s.type ?? 'user';
    if (type !== 'user' && type !== 'admin') {
      throw fail('validation', 'The sync type must be "user" or "admin".');
    }
    if (conn.kind !== 'demo') {
      throw fail(
        'validation',
        'Only demo, Active Directory and OpenLDAP connections can be added here. Use rosterctl to add other directories.',
      );
    }
    const users = conn.users ?? 300;
    if (typeof users !== 'number' || !Number.isInteger(users) || users < 1 || users > MAX_DEMO_USERS) {
      throw fail('validation', `The number of users must be a whole number from 1 to ${MAX_DEMO_USERS.toLocaleString('en-US')}.`);
    }
    const seed = conn.seed ?? 7;
    if (typeof seed !== 'number' || !Number.isInteger(seed)) {
      throw fail('validation', 'The seed must be a whole number.');
    }
    if (st.directories.some((d) => d.name.toLowerCase() === name.toLowerCase())) {
      throw fail('conflict', `A directory sync named "${name}" already exists in this tenant. Choose another name. Nothing was added.`);
    }
    const key = this.newKey(st, name);
    const dir: MDirectory = {
      directory_key: key,
      name,
      sync_type: type,
      connection: { id: `conn-${key}`, kind: 'demo', name: `Demo source (seed ${seed})` },
      ...this.newSchedule(st, type, s),
      interval_minutes: 60,
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed,
      size: users,
      domain: `${slug(name)}.example`,
      step: 0,
      scenario: 'normal',
      running: false,
    };
    return this.added(st, dir);
  }

  /** Where a new sync goes: last in its type's order of precedence; paused, or waiting for its first run. */
  private newSchedule(
    st: TenantState,
    type: SyncType,
    s: Record<string, unknown>,
  ): Pick<MDirectory, 'schedule' | 'precedence' | 'scheduleStarted' | 'interval_minutes'> {
    const interval = typeof s.interval_minutes === 'number' ? s.interval_minutes : 30;
    return {
      schedule: s.paused === true ? 'paused' : 'scheduled',
      precedence: st.directories.filter((d) => d.sync_type === type).length + 1,
      scheduleStarted: s.first_run === 'after_interval' || s.first_run === 'now',
      interval_minutes: interval,
    };
  }

  /** Saves a new sync and says what it shares with the tenant's other syncs (as the backend's `overlaps`). */
  private added(st: TenantState, d: MDirectory): AddedDirectory {
    const mine = new Set(this.selection(d).map((g) => g.toLowerCase()));
    const config = JSON.stringify(this.configOf(d));
    const conflicts: string[] = [];
    for (const o of [...st.directories].sort((a, b) => a.precedence - b.precedence)) {
      if (o.sync_type !== d.sync_type) continue;
      const sameDirectory =
        o.connection.id === d.connection.id ||
        (o.connection.kind === d.connection.kind && JSON.stringify(this.configOf(o)) === config);
      if (!sameDirectory) continue;
      const groups = this.selection(o).filter((g) => mine.has(g.toLowerCase()));
      if (groups.length === 0) continue;
      const listed = groups.slice(0, 3).join(', ') + (groups.length > 3 ? ` and ${groups.length - 3} more` : '');
      conflicts.push(
        `The sync "${o.name}" also selects ${listed}. It comes first in the order of precedence, so the users and groups ` +
          `both syncs find stay with it and this sync reports them as conflicts. To reverse that, move this sync above "${o.name}".`,
      );
    }
    st.directories.push(d);
    this.touch(st);
    return { directory_key: d.directory_key, conflicts };
  }

  /** The groups a sync selects (admin syncs: the role-mapped groups). */
  private selection(d: MDirectory): string[] {
    return this.groupsOf(d).map((g) => g.split(' → ')[0]);
  }

  private groupsOf(d: MDirectory): string[] {
    if (d.groups) return [...d.groups];
    return d.sync_type === 'user' ? ['All Staff', 'Engineering', 'Sales'] : ['Roster Administrators → Administrator'];
  }

  async directory_update({ key, patch }: { key: string; patch: DirectoryPatch }): Promise<DirectorySummary> {
    await this.delay();
    const st = this.state();
    const d = this.findDirectory(st, key);
    const known = new Set(['name', 'groups', 'attributes', 'interval_minutes', 'deletion_threshold_percent', 'precedence']);
    const unknown = Object.keys(patch ?? {}).find((k) => !known.has(k));
    if (unknown) throw `invalid args \`patch\` for command \`directory_update\`: unknown field \`${unknown}\``;
    let name = d.name;
    if (patch.name !== undefined) {
      name = checkName('directory sync', patch.name);
      if (st.directories.some((o) => o !== d && o.name.toLowerCase() === name.toLowerCase())) {
        throw fail('conflict', `A directory sync named "${name}" already exists in this tenant. Choose another name.`);
      }
    }
    if (patch.groups !== undefined && patch.groups.length === 0) throw fail('validation', 'Select at least one group to sync.');
    if (patch.interval_minutes !== undefined && !(patch.interval_minutes >= 5 && patch.interval_minutes <= 1440)) {
      throw fail('validation', 'The interval must be between 5 and 1440 minutes.');
    }
    if (patch.deletion_threshold_percent !== undefined && patch.deletion_threshold_percent > 100) {
      throw fail('validation', 'The threshold is a percentage from 0 to 100.');
    }
    const order = st.directories.filter((o) => o.sync_type === d.sync_type).sort((a, b) => a.precedence - b.precedence);
    if (patch.precedence !== undefined && (patch.precedence < 1 || patch.precedence > order.length)) {
      throw fail(
        'conflict',
        `There are ${order.length} syncs of this type: the position must be between 1 and ${order.length}.`,
      );
    }
    d.name = name;
    if (patch.groups !== undefined) d.groups = [...patch.groups];
    if (patch.interval_minutes !== undefined) d.interval_minutes = patch.interval_minutes;
    if (patch.precedence !== undefined) {
      const rest = order.filter((o) => o !== d);
      rest.splice(patch.precedence - 1, 0, d);
      rest.forEach((o, i) => (o.precedence = i + 1));
      // As the store does: who keeps what is decided again by the next runs.
      const keys = new Set(rest.map((o) => o.directory_key));
      st.conflicts = st.conflicts.filter((c) => !keys.has(c.loser));
    }
    this.touch(st);
    return this.directoryDto(st, d);
  }

  /**
   * An Active Directory or OpenLDAP sync, checked in the real backend's order (spec shape, name, attributes,
   * connection settings, groups or roles, the email attribute of admin syncs, then the name's uniqueness).
   * The password goes to a stand-in "keychain"; the stored settings never hold it.
   */
  private addLdap(st: TenantState, s: Record<string, unknown>, conn: Record<string, unknown>): AddedDirectory {
    for (const k of Object.keys(s)) {
      if (!SPEC_FIELDS.has(k)) {
        throw fail('validation', `The directory spec is not valid: unknown field \`${k}\`. The README lists every field.`);
      }
    }
    if (s.type !== 'user' && s.type !== 'admin') {
      throw fail(
        'validation',
        s.type === undefined
          ? 'The directory spec is not valid: missing field `type`. The README lists every field.'
          : `The directory spec is not valid: unknown variant \`${String(s.type)}\`, expected \`user\` or \`admin\`.`,
      );
    }
    const type: SyncType = s.type;
    const name = checkName('directory sync', s.name);
    const attributes = checkAttributes(s.attributes);
    const c = checkSpecConnection(conn);
    if (type === 'user' && s.roles !== undefined && s.roles !== null) {
      throw fail('validation', '"roles" is for admin syncs ("type": "admin"); user syncs select "groups".');
    }
    let groups: string[];
    if (type === 'user') {
      const g = s.groups;
      if (!Array.isArray(g) || g.length === 0 || g.some((x) => typeof x !== 'string')) {
        throw fail('validation', 'Select at least one group to sync ("groups").');
      }
      groups = [...(g as string[])];
    } else {
      if (s.roles === undefined || s.roles === null) {
        throw fail('validation', 'Map at least one group to an administrator role ("roles").');
      }
      const roles = checkRoles(s.roles);
      if (Object.keys(roles).length === 0) {
        throw fail('validation', 'Map at least one group to an administrator role ("roles").');
      }
      // Without "attributes" the LDAP default maps the email (mail).
      if (attributes && !attributes.email) {
        throw fail(
          'validation',
          'Admin syncs match administrators by email: map the email attribute ("attributes": {"email": …}).',
        );
      }
      groups = Object.entries(roles).map(([g, r]) => `${g} → ${r}`);
    }
    if (st.directories.some((d) => d.name.toLowerCase() === name.toLowerCase())) {
      throw fail('conflict', `A directory sync named "${name}" already exists in this tenant. Choose another name.`);
    }
    const key = this.newKey(st, name);
    const { bind_password, name: connName, kind: _kind, ...config } = c;
    const dns = type === 'user' ? groups : Object.keys(s.roles as Record<string, string>);
    const members = dns.reduce((sum, dn) => sum + (memberCountOf(c, dn) ?? 25), 0);
    const size = type === 'user' ? Math.min(2000, Math.max(5, members)) : Math.min(40, Math.max(2, members));
    return this.added(st, {
      directory_key: key,
      name,
      sync_type: type,
      connection: { id: `conn-${st.nextId++}-${key}`, kind: c.kind, name: connName?.trim() || c.servers[0] },
      ...this.newSchedule(st, type, s),
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: hashSeed(`${name}|${c.base_dn}`),
      size,
      domain: domainOf(c.base_dn),
      step: 0,
      scenario: 'normal',
      running: false,
      groups,
      usernameAttribute: attributes?.username.trim() ?? (c.kind === 'active_directory' ? 'sAMAccountName' : 'uid'),
      config,
      secret: bind_password,
      connectionStatus: 'ready',
    });
  }

  /**
   * A sync over a saved cloud connection: `{name, type, connection: "<connection id>", groups | roles}`.
   * Groups are the connection's opaque group ids (checked against the vendor's groups).
   */
  private addCloud(st: TenantState, s: Record<string, unknown>, connectionId: string): AddedDirectory {
    for (const k of Object.keys(s)) {
      if (!SPEC_FIELDS.has(k)) {
        throw fail('validation', `The directory spec is not valid: unknown field \`${k}\`. The README lists every field.`);
      }
    }
    if (s.type !== 'user' && s.type !== 'admin') {
      throw fail('validation', 'The directory spec is not valid: "type" must be "user" or "admin".');
    }
    const type: SyncType = s.type;
    const name = checkName('directory sync', s.name);
    const c = st.cloud.find((x) => x.id === connectionId);
    if (!c) {
      throw fail('not_found', `There is no saved connection with the id ${connectionId}. Sign in again to create it.`);
    }
    const group = (id: unknown): { name: string; count: number } => {
      const g = typeof id === 'string' ? findCloudGroup(c.kind, c.id, id) : undefined;
      if (!g) {
        throw fail('validation', `The group ${String(id)} was not found in ${c.name}. Choose the groups with the group picker.`);
      }
      return { name: g.name, count: g.member_count ?? 0 };
    };
    let groups: string[];
    let members = 0;
    if (type === 'user') {
      if (s.roles !== undefined && s.roles !== null) {
        throw fail('validation', '"roles" is for admin syncs ("type": "admin"); user syncs select "groups".');
      }
      const g = s.groups;
      if (!Array.isArray(g) || g.length === 0) throw fail('validation', 'Select at least one group to sync ("groups").');
      groups = g.map((id) => {
        const found = group(id);
        members += found.count;
        return found.name;
      });
    } else {
      if (s.roles === undefined || s.roles === null) {
        throw fail('validation', 'Map at least one group to an administrator role ("roles").');
      }
      const roles = checkRoles(s.roles);
      if (Object.keys(roles).length === 0) throw fail('validation', 'Map at least one group to an administrator role ("roles").');
      groups = Object.entries(roles).map(([id, role]) => {
        const found = group(id);
        members += found.count;
        return `${found.name} → ${role as AdminRoleName}`;
      });
    }
    if (st.directories.some((d) => d.name.toLowerCase() === name.toLowerCase())) {
      throw fail('conflict', `A directory sync named "${name}" already exists in this tenant. Choose another name.`);
    }
    const key = this.newKey(st, name);
    return this.added(st, {
      directory_key: key,
      name,
      sync_type: type,
      connection: { id: c.id, kind: c.kind, name: c.name },
      ...this.newSchedule(st, type, s),
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: hashSeed(`${name}|${c.id}`),
      size: type === 'user' ? Math.min(2000, Math.max(5, members)) : Math.min(40, Math.max(2, members)),
      domain: c.domain,
      step: 0,
      scenario: 'normal',
      running: false,
      groups,
      usernameAttribute: c.kind === 'entra' ? 'userPrincipalName' : c.kind === 'google' ? 'primaryEmail' : 'login',
    });
  }

  private newKey(st: TenantState, name: string): string {
    let key = slug(name);
    for (let n = 2; st.directories.some((d) => d.directory_key === key); n++) key = `${slug(name)}-${n}`;
    return key;
  }

  // ---------- connections ----------

  async connection_list(): Promise<ConnectionInfo[]> {
    await this.delay();
    const st = this.state();
    const byId = new Map<string, ConnectionInfo>();
    for (const d of st.directories) {
      const seen = byId.get(d.connection.id);
      if (seen) {
        seen.used_by.push(d.name);
        continue;
      }
      const c = st.cloud.find((x) => x.id === d.connection.id);
      byId.set(d.connection.id, c ? { ...this.cloudDto(st, c), used_by: [d.name] } : {
        id: d.connection.id,
        kind: d.connection.kind,
        name: d.connection.name,
        config: this.configOf(d),
        status: d.connectionStatus ?? 'ready',
        authorized_by: null,
        authorized_at: null,
        used_by: [d.name],
      });
    }
    // Cloud connections signed in to but not used by any sync yet.
    for (const c of st.cloud) if (!byId.has(c.id)) byId.set(c.id, this.cloudDto(st, c));
    return [...byId.values()];
  }

  async connection_set_secret({ id, secret }: { id: string; secret: string }): Promise<ConnectionInfo> {
    await this.delay();
    const st = this.state();
    const cloud = st.cloud.find((c) => c.id === id);
    const d = cloud ? undefined : this.findConnection(id);
    const kind = cloud?.kind ?? d?.connection.kind;
    if (kind !== 'google' && kind !== 'active_directory' && kind !== 'openldap') {
      const cloudKind = kind === 'entra' || kind === 'okta';
      throw fail(
        'validation',
        `A ${cloud ? vendorName(cloud.spec) : kind === 'demo' ? 'demo directory' : kind} connection keeps no secret to enter: ` +
          (cloudKind ? 'sign in again with Reauthorize.' : 'it needs none.'),
      );
    }
    if (!secret) throw fail('validation', 'The secret is empty. Type it, or paste it, again.');
    if (cloud) {
      cloud.spec = { ...cloud.spec, client_secret: secret } as CloudConnectionSpec;
      if (cloud.status === 'needs_credentials') cloud.status = 'ready';
    } else if (d) {
      for (const o of st.directories) {
        if (o.connection.id !== id) continue;
        o.secret = secret;
        if (o.connectionStatus === 'needs_credentials') o.connectionStatus = 'ready';
      }
    }
    this.touch(st);
    const listed = (await this.connection_list()).find((c) => c.id === id);
    if (!listed) throw fail('not_found', `There is no connection with the id ${id}. It may belong to another tenant.`);
    return listed;
  }

  async connection_authorize({ connection }: { connection: CloudConnectionSpec }): Promise<ConnectionInfo> {
    await this.delay();
    const st = this.state();
    const spec = checkCloudSpec(connection);
    await this.consent(spec, 'Nothing was saved.');
    const c: MCloudConnection = {
      id: `conn-${spec.kind}-${st.nextId++}`,
      kind: spec.kind,
      name: cloudConnectionName(spec),
      spec: clone(spec),
      status: 'ready',
      authorized_by: signedInAs(spec),
      authorized_at: iso(this.now()),
      domain: cloudDomain(spec),
    };
    st.cloud.push(c);
    this.touch(st);
    return this.cloudDto(st, c);
  }

  async connection_reauthorize({ id }: { id: string }): Promise<ConnectionInfo> {
    await this.delay();
    const st = this.state();
    const c = st.cloud.find((x) => x.id === id);
    if (!c) {
      if (st.directories.some((d) => d.connection.id === id)) {
        throw fail('validation', `The connection ${id} does not sign in through a browser, so it has nothing to reauthorize.`);
      }
      throw fail('not_found', `There is no connection with the id ${id}. It may belong to another tenant.`);
    }
    await this.consent(c.spec, 'The connection was not changed.');
    c.status = 'ready';
    c.authorized_by = signedInAs(c.spec);
    c.authorized_at = iso(this.now());
    this.touch(st);
    return this.cloudDto(st, c);
  }

  async consent_cancel(): Promise<null> {
    await this.delay();
    this.pendingConsent?.cancel();
    return null;
  }

  async onConsentProgress(handler: (progress: ConsentProgress) => void): Promise<Unlisten> {
    this.consentListeners.add(handler);
    return () => {
      this.consentListeners.delete(handler);
    };
  }

  /**
   * "Opens the browser" on the consent page (the consent-progress event) and waits for the simulated admin:
   * approved after the consent delay, refused, or no answer until the timeout; consent_cancel ends it early.
   */
  private consent(spec: CloudConnectionSpec, unchanged: string): Promise<void> {
    if (this.pendingConsent) {
      return Promise.reject(
        fail('conflict', 'Another sign-in is already waiting for approval in your browser. Finish or cancel it first.'),
      );
    }
    const vendor = vendorName(spec);
    const authorization_url = consentUrl(spec, ++this.consentAttempts);
    const answer = consentAnswer(spec);
    return new Promise<void>((resolve, reject) => {
      const timers: ReturnType<typeof setTimeout>[] = [];
      const end = (err: CommandError | null) => {
        for (const t of timers) clearTimeout(t);
        this.pendingConsent = null;
        if (err) reject(err);
        else resolve();
      };
      this.pendingConsent = { cancel: () => end(fail('cancelled', `Sign-in cancelled. ${unchanged}`)) };
      for (const l of this.consentListeners) l({ state: 'waiting', authorization_url, vendor });
      if (answer === 'approve') timers.push(setTimeout(() => end(null), this.consentDelayMs));
      if (answer === 'deny') {
        timers.push(
          setTimeout(
            () =>
              end(
                fail(
                  'unauthorized',
                  `The sign-in to ${vendor} was declined on the consent page. ${unchanged} ` +
                    'Sign in again as an administrator who can grant consent, and choose Accept.',
                ),
              ),
            this.consentDelayMs,
          ),
        );
      }
      timers.push(
        setTimeout(
          () =>
            end(
              fail(
                'timeout',
                `Roster waited ${Math.round(this.consentTimeoutMs / 60_000) || 1} minutes for your approval in ${vendor}, then ` +
                  `stopped. ${unchanged} Sign in again and approve Roster in the browser window that opens.`,
              ),
            ),
          this.consentTimeoutMs,
        ),
      );
    });
  }

  private cloudDto(st: TenantState, c: MCloudConnection): ConnectionInfo {
    return {
      id: c.id,
      kind: c.kind,
      name: c.name,
      config: cloudConfig(c.spec),
      status: c.status,
      authorized_by: c.authorized_by,
      authorized_at: c.authorized_at,
      used_by: st.directories.filter((d) => d.connection.id === c.id).map((d) => d.name),
    };
  }

  async connection_test({ id }: { id: string }): Promise<ConnectionCheck[]> {
    await this.delay();
    const d = this.findConnection(id);
    await this.network();
    if (d.connection.kind === 'demo') {
      return [{ step: 'demo', server: d.connection.name, ok: true, detail: 'The demo directory is built in and needs no network.' }];
    }
    if (d.connection.kind !== 'active_directory' && d.connection.kind !== 'openldap') {
      throw fail('validation', `The connection ${id} is a ${d.connection.kind} connection, not LDAP.`);
    }
    return diagnose(this.ldapOf(d));
  }

  async connection_groups({ id, query, limit }: { id: string; query: string; limit: number }): Promise<GroupSummary[]> {
    await this.delay();
    const st = this.state();
    const cloud = st.cloud.find((c) => c.id === id);
    if (cloud) {
      await this.network();
      if (cloud.status === 'needs_reauthorization') throw this.reauthorizationError(cloud);
      return searchCloudGroups(cloud.kind, cloud.id, query, limit);
    }
    const d = this.findConnection(id);
    await this.network();
    if (d.connection.kind === 'demo') {
      const q = norm(query);
      return [...DEPARTMENTS, 'Managers', 'On-call', 'VPN users']
        .filter((g) => !q || g.toLowerCase().includes(q))
        .sort((a, b) => a.localeCompare(b))
        .slice(0, Math.min(500, Math.max(1, limit)))
        .map((g) => ({ external_id: g, name: g, member_count: null }));
    }
    if (d.connection.kind === 'active_directory' || d.connection.kind === 'openldap') {
      const c = this.ldapOf(d);
      const problem = openError(c);
      if (problem) throw problem;
      return searchGroups(c, query, limit);
    }
    return searchGroups({ kind: 'openldap', base_dn: `dc=${d.domain.split('.').join(',dc=')}` }, query, limit).map((g) => ({
      ...g,
      external_id: `${d.connection.kind}-group-${slug(g.name)}`,
    }));
  }

  async connection_test_draft({ connection }: { connection: LdapConnectionSpec }): Promise<ConnectionCheck[]> {
    await this.delay();
    const c = checkDraftConnection(connection);
    await this.network();
    return diagnose(c);
  }

  async connection_groups_draft({
    connection,
    query,
    limit,
  }: {
    connection: LdapConnectionSpec;
    query: string;
    limit: number;
  }): Promise<GroupSummary[]> {
    await this.delay();
    const c = checkDraftConnection(connection);
    await this.network();
    const problem = openError(c);
    if (problem) throw problem;
    return searchGroups(c, query, limit);
  }

  async directory_pause({ key }: { key: string }): Promise<DirectorySummary> {
    await this.delay();
    const st = this.state();
    const d = this.findDirectory(st, key);
    d.schedule = 'paused';
    return this.directoryDto(st, d);
  }

  async directory_resume({ key }: { key: string }): Promise<DirectorySummary> {
    await this.delay();
    const st = this.state();
    const d = this.findDirectory(st, key);
    d.schedule = 'scheduled';
    return this.directoryDto(st, d);
  }

  // ---------- sync ----------

  async sync_run({ key, dry_run, approve }: { key: string; dry_run: boolean; approve: boolean }): Promise<RunReport> {
    await this.delay();
    const st = this.state();
    const d = this.findDirectory(st, key);
    return this.run(st, d, { dryRun: dry_run, approve, trigger: dry_run ? 'preview' : 'manual', username: null });
  }

  /**
   * Syncs one user (or, for admin syncs, one administrator by email) like Duo's "Sync Individual
   * Users". As in the real backend: the name is trimmed and matched case-insensitively; a name found
   * neither in the source nor among the users this sync manages ends as a recorded run with outcome
   * "failed" (not a rejection); only an empty name is rejected.
   */
  async sync_user({ key, username }: { key: string; username: string }): Promise<RunReport> {
    await this.delay();
    const st = this.state();
    const d = this.findDirectory(st, key);
    const name = (username ?? '').trim();
    if (!name) throw fail('validation', 'Give the username (or, for admin syncs, the email) to sync.');
    return this.run(st, d, { dryRun: false, approve: false, trigger: 'individual', username: name });
  }

  async runs_list({ key, limit }: { key: string | null; limit: number }): Promise<RunSummary[]> {
    await this.delay();
    const st = this.state();
    if (!Number.isInteger(limit) || limit < 1) throw fail('validation', 'The limit must be a positive whole number.');
    return st.runs
      .filter((r) => key === null || r.directory_key === key)
      .sort((a, b) => b.run_id - a.run_id)
      .slice(0, limit)
      .map((r) => this.summaryOf(r));
  }

  async run_detail({ run_id }: { run_id: number }): Promise<RunReport> {
    await this.delay();
    const r = this.state().runs.find((x) => x.run_id === run_id);
    if (!r) throw fail('not_found', `Run ${run_id} was not found. It may belong to another tenant.`);
    return clone(r);
  }

  async run_changes({ run_id, from, limit }: { run_id: number; from: number; limit: number }): Promise<ChangePage> {
    await this.delay();
    const st = this.state();
    if (!st.runs.some((x) => x.run_id === run_id)) {
      throw fail('not_found', `Run ${run_id} was not found. It may belong to another tenant.`);
    }
    const all = st.changeLogs.get(run_id) ?? [];
    const n = Math.min(5000, Math.max(1, limit));
    const changes = clone(all.slice(from, from + n));
    return { changes, next: changes.length >= n ? from + changes.length : null };
  }

  // ---------- directory contents ----------

  async users_page(args: PageArgs): Promise<Page<UserRow>> {
    await this.delay();
    const st = this.state();
    return this.page(args, this.cached(st, `users:${norm(args.query)}`, () => {
      const q = norm(args.query);
      return this.sortedUsers(st).filter((u) => u.status !== 'pending deletion' && matchUser(u, q));
    }) as MUser[], toUserRow, (u) => u.username);
  }

  async trash_page(args: PageArgs): Promise<Page<UserRow>> {
    await this.delay();
    const st = this.state();
    return this.page(args, this.cached(st, `trash:${norm(args.query)}`, () => {
      const q = norm(args.query);
      return this.sortedUsers(st).filter((u) => u.status === 'pending deletion' && matchUser(u, q));
    }) as MUser[], toUserRow, (u) => u.username);
  }

  async groups_page(args: PageArgs): Promise<Page<GroupRow>> {
    await this.delay();
    const st = this.state();
    const rows = this.cached(st, `groups:${norm(args.query)}`, () => {
      const q = norm(args.query);
      const members = new Map<string, number>();
      for (const u of st.users) {
        if (u.status === 'pending deletion') continue;
        for (const g of u.groups) members.set(g, (members.get(g) ?? 0) + 1);
      }
      return st.groups
        .filter((g) => !q || g.name.toLowerCase().includes(q) || g.description.toLowerCase().includes(q))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(
          (g): GroupRow => ({
            group_id: g.group_id,
            name: g.name,
            description: g.description,
            member_count: members.get(g.name) ?? 0,
            managed_by: g.managed_by,
          }),
        );
    }) as GroupRow[];
    return this.page(args, rows, (g) => ({ ...g }), (g) => g.name);
  }

  async admins_page(args: PageArgs): Promise<Page<AdminRow>> {
    await this.delay();
    const st = this.state();
    const rows = this.cached(st, `admins:${norm(args.query)}`, () => {
      const q = norm(args.query);
      return st.admins
        .filter((a) => !q || a.name.toLowerCase().includes(q) || a.email.toLowerCase().includes(q))
        .sort((a, b) => a.name.localeCompare(b.name));
    }) as MAdmin[];
    return this.page(args, rows, toAdminRow, (a) => a.email);
  }

  async onSyncProgress(handler: (progress: SyncProgress) => void): Promise<Unlisten> {
    this.listeners.add(handler);
    return () => {
      this.listeners.delete(handler);
    };
  }

  // ---------- internals: tenants and lookups ----------

  private async delay(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }

  private state(): TenantState {
    const st = this.tenants.find((t) => t.tenant.id === this.currentId);
    if (!st) throw fail('not_found', 'No tenant is open. Create a tenant first.');
    return st;
  }

  private findTenant(id: string): TenantState {
    const t = this.tenants.find((x) => x.tenant.id === id);
    if (!t) throw fail('not_found', 'That tenant was not found. It may have been deleted; reload the list.');
    return t;
  }

  private async network(): Promise<void> {
    if (this.networkLatencyMs > 0) await sleep(this.networkLatencyMs);
  }

  private reauthorizationError(c: MCloudConnection): CommandError {
    return fail(
      'consent_required',
      `The sign-in to ${vendorName(c.spec)} for ${c.name} was revoked or has expired, so Roster can't read it. ` +
        'Reauthorize the connection under Cloud connections on the Directory Syncs screen, then sync again.',
    );
  }

  private findConnection(id: string): MDirectory {
    const d = this.state().directories.find((x) => x.connection.id === id);
    if (!d) throw fail('not_found', `There is no connection with the id ${id}. It may belong to another tenant.`);
    return d;
  }

  /** The stored settings of a directory's connection (never the password). */
  private configOf(d: MDirectory): Record<string, unknown> {
    if (d.config) return clone(d.config);
    switch (d.connection.kind) {
      case 'demo':
        return { seed: d.seed, users: d.size };
      case 'active_directory':
      case 'openldap': {
        const base = d.domain.split('.').map((p) => (d.connection.kind === 'active_directory' ? `DC=${p}` : `dc=${p}`)).join(',');
        return {
          servers: [`ldaps://${d.connection.name}:636`],
          transport: 'ldaps',
          ca_pem: SAMPLE_CA_PEM,
          verify_hostname: true,
          bind_dn: d.connection.kind === 'active_directory' ? `svc-roster@${d.domain}` : `cn=roster,ou=services,${base}`,
          base_dn: base,
        };
      }
      case 'scim':
        return { flavor: 'generic' };
      default:
        return { tenant: d.connection.name, client_id: '00000000-0000-0000-0000-000000000000' };
    }
  }

  /** An LDAP directory's connection as the connector sees it (settings plus the password from the "keychain"). */
  private ldapOf(d: MDirectory): LdapConnectionSpec {
    const config = this.configOf(d) as unknown as Omit<LdapConnectionSpec, 'kind'>;
    const secret = d.config ? d.secret : 'sample-password';
    return {
      kind: d.connection.kind as LdapConnectionSpec['kind'],
      ...config,
      ...(config.bind_dn !== undefined && secret !== undefined ? { bind_password: secret } : {}),
    };
  }

  private findDirectory(st: TenantState, key: string): MDirectory {
    const d = st.directories.find((x) => x.directory_key === key);
    if (!d) throw fail('not_found', `No directory sync with key "${key}" exists in this tenant.`);
    return d;
  }

  private checkTenantName(name: string, selfId: string | null): string {
    const clean = checkName('tenant', name);
    if (this.tenants.some((t) => t.tenant.id !== selfId && t.tenant.name.toLowerCase() === clean.toLowerCase())) {
      throw fail('conflict', `A tenant named "${clean}" already exists. Choose another name.`);
    }
    return clean;
  }

  private newTenant(name: string): TenantState {
    const st: TenantState = {
      tenant: { id: `tenant-${this.nextTenant++}`, name, current: false, created_at: iso(this.now()) },
      directories: [],
      cloud: [],
      users: [],
      groups: [],
      admins: [],
      runs: [],
      changeLogs: new Map(),
      conflicts: [],
      nextRunId: 1,
      nextId: 1,
      version: 0,
      cache: { version: -1, lists: new Map() },
    };
    this.tenants.push(st);
    return st;
  }

  private tenantDto(t: TenantState): Tenant {
    return { ...t.tenant, current: t.tenant.id === this.currentId };
  }

  private directoryDto(st: TenantState, d: MDirectory): DirectorySummary {
    const user_count =
      d.sync_type === 'user'
        ? st.users.filter((u) => u.directory_key === d.directory_key && u.status !== 'pending deletion').length
        : st.admins.filter((a) => a.directory_key === d.directory_key).length;
    return {
      directory_key: d.directory_key,
      name: d.name,
      sync_type: d.sync_type,
      connection: { ...d.connection },
      // As the backend words it: a sync whose schedule has not started waits for the admin's first run.
      schedule: d.schedule === 'paused' ? 'paused' : !d.scheduleStarted && !d.last_full_sync ? 'waiting' : 'scheduled',
      interval_minutes: d.interval_minutes,
      last_full_sync: d.last_full_sync,
      status: d.status,
      last_run: d.last_run ? clone(d.last_run) : null,
      user_count,
      groups: this.groupsOf(d),
      deletion_threshold_percent: 10,
      username_attribute: d.usernameAttribute ?? (d.connection.kind === 'active_directory' ? 'sAMAccountName' : 'uid'),
      precedence: d.precedence,
      conflicts: st.conflicts.filter((c) => c.loser === d.directory_key || c.winner === d.directory_key).length,
    };
  }

  private summaryOf(r: Recorded): RunSummary {
    return {
      run_id: r.run_id,
      directory_key: r.directory_key,
      directory_name: r.directory_name,
      trigger: r.trigger,
      outcome: r.outcome,
      started_at: r.started_at,
      finished_at: r.finished_at,
      counts: { ...r.counts },
      message: r.message,
    };
  }

  // ---------- internals: paging ----------

  private touch(st: TenantState): void {
    st.version++;
  }

  private cached(st: TenantState, key: string, build: () => unknown[]): unknown[] {
    if (st.cache.version !== st.version) st.cache = { version: st.version, lists: new Map() };
    let rows = st.cache.lists.get(key);
    if (!rows) {
      rows = build();
      if (st.cache.lists.size > 24) st.cache.lists.clear();
      st.cache.lists.set(key, rows);
    }
    return rows;
  }

  private sortedUsers(st: TenantState): MUser[] {
    return this.cached(st, 'users:sorted', () =>
      [...st.users].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0)),
    ) as MUser[];
  }

  private page<S, T>(args: PageArgs, rows: S[], map: (row: S) => T, keyOf: (row: S) => string): Page<T> {
    const { offset, limit } = args;
    if (!Number.isInteger(offset) || offset < 0) throw fail('validation', 'The offset must be zero or more.');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw fail('validation', 'The page size must be from 1 to 1,000 rows.');
    }
    const slice = rows.slice(offset, offset + limit);
    const last = slice[slice.length - 1];
    return { total: rows.length, rows: slice.map(map), next: offset + limit < rows.length && last ? keyOf(last) : null };
  }

  // ---------- internals: the sync engine ----------

  private emit(p: SyncProgress): void {
    for (const l of this.listeners) l({ ...p });
  }

  private async step(): Promise<void> {
    await sleep(this.progressStepMs);
  }

  private sourceUsers(d: MDirectory, step: number): SourceUser[] {
    const people = makePeople(d.seed, d.size, d.domain);
    const users: SourceUser[] = people.map((p) => ({
      username: p.username,
      realname: p.realname,
      email: p.email,
      status: 'active',
      groups: p.second ? [p.dept, p.second].sort() : [p.dept],
    }));
    // Every applied run the source drifts a little: people move department, some leave or come back.
    for (let s = 1; s <= step; s++) {
      const rng = new Rng(d.seed * 7919 + s);
      const moves = Math.max(1, Math.round(users.length * 0.015));
      for (let i = 0; i < moves; i++) {
        const u = users[rng.int(users.length)];
        u.groups = [rng.pick(DEPARTMENTS), ...u.groups.slice(1)].sort();
      }
      const toggles = Math.max(1, Math.round(users.length * 0.004));
      for (let i = 0; i < toggles; i++) {
        const u = users[rng.int(users.length)];
        u.status = u.status === 'active' ? 'disabled' : 'active';
      }
    }
    if (d.scenario === 'shrinks' && step >= 1) {
      // An OU was moved out of the sync's scope: a block of users disappears from the source at once.
      const cut = Math.floor(users.length * 0.16);
      users.splice(users.length - cut - 10, cut);
    }
    return users;
  }

  private sourceAdmins(d: MDirectory, step: number): SourceAdmin[] {
    const people = makePeople(d.seed, d.size, d.domain);
    const rng = new Rng(d.seed + 17);
    const admins: SourceAdmin[] = people.map((p, i) => ({
      name: p.realname,
      email: p.email,
      role: i === 0 ? 'Owner' : rng.pick(ADMIN_ROLES.slice(1)),
      status: 'Active',
    }));
    for (let s = 1; s <= step; s++) {
      const r = new Rng(d.seed * 104729 + s);
      const a = admins[1 + r.int(Math.max(1, admins.length - 1))] ?? admins[0];
      if (a !== admins[0]) a.role = r.pick(ADMIN_ROLES.slice(1));
    }
    return admins;
  }

  private planUsers(st: TenantState, d: MDirectory, source: SourceUser[], onlyName: string | null, at: Date): Plan {
    const only = onlyName === null ? null : onlyName.toLowerCase();
    const counts = emptyCounts();
    const ops: PlannedOp[] = [];
    const errors: Plan['errors'] = [];
    const conflicts: Conflict[] = [];
    const byName = new Map(st.users.map((u) => [u.username, u]));
    const inSource = new Set<string>();
    const stamp = iso(at);
    const managed = st.users.filter((u) => u.directory_key === d.directory_key && u.status !== 'pending deletion');

    for (const s of source) {
      if (only !== null && s.username.toLowerCase() !== only) continue;
      inSource.add(s.username);
      counts.seen++;
      const u = byName.get(s.username);
      if (!u) {
        counts.created++;
        ops.push({
          change: {
            object: 'user',
            key: s.username,
            action: 'create',
            fields: [
              field('realname', null, s.realname),
              field('email', null, s.email),
              field('status', null, s.status),
              field('groups', null, s.groups.join(', ')),
            ],
            reason: `New in ${d.connection.name}.`,
          },
          apply: () => {
            st.users.push({
              user_id: `u${st.nextId++}`,
              username: s.username,
              realname: s.realname,
              email: s.email,
              status: s.status,
              groups: [...s.groups],
              managed_by: d.name,
              last_directory_sync: stamp,
              purge_at: null,
              directory_key: d.directory_key,
            });
          },
        });
        continue;
      }
      const owner = this.precedingOwner(st, d, u.directory_key);
      if (owner && u.status !== 'pending deletion') {
        counts.conflicts++;
        conflicts.push({
          object: 'user',
          key: s.username,
          other: owner.directory_key,
          other_name: owner.name,
          kept: false,
          message:
            `The sync "${owner.name}" manages this user and comes first in the order of precedence, so this sync leaves the ` +
            `user's fields and status to it and only keeps its own groups' membership. To manage the user from this sync, ` +
            `move this sync above "${owner.name}", or select groups that do not overlap.`,
        });
        continue;
      }
      const fields: FieldChange[] = [];
      if (u.realname !== s.realname) fields.push(field('realname', u.realname, s.realname));
      if (u.email !== s.email) fields.push(field('email', u.email, s.email));
      const ug = u.groups.join(', ');
      const sg = s.groups.join(', ');
      if (ug !== sg) fields.push(field('groups', ug || null, sg || null));

      let action: Change['action'] | null = null;
      let reason = '';
      let newStatus: UserStatus = u.status;
      if (u.directory_key !== d.directory_key) {
        action = 'take_over';
        counts.taken_over++;
        reason =
          u.managed_by === null
            ? 'A user with the same username already existed; this sync now manages it.'
            : `This sync comes first in the order of precedence, so it now manages the user (it was managed by "${u.managed_by}").`;
        fields.push(field('managed_by', u.managed_by, d.name));
        if (s.status === 'disabled' && u.status !== 'disabled') newStatus = 'disabled';
      } else if (u.status === 'pending deletion') {
        action = 'restore';
        counts.restored++;
        reason = `Back in ${d.connection.name}, so the user leaves the trash.`;
        newStatus = s.status;
        fields.push(field('purge_at', u.purge_at, null));
      } else if (s.status === 'disabled' && u.status !== 'disabled') {
        action = 'disable';
        counts.disabled++;
        reason = `Disabled in ${d.connection.name}.`;
        newStatus = 'disabled';
      } else if (s.status === 'active' && u.status === 'disabled') {
        action = 'enable';
        counts.enabled++;
        reason = `Enabled again in ${d.connection.name}.`;
        newStatus = 'active';
      } else if (fields.length > 0) {
        action = 'update';
        counts.updated++;
        reason = `Changed in ${d.connection.name}.`;
      }
      if (newStatus !== u.status) fields.splice(0, 0, field('status', u.status, newStatus));
      const target = u;
      if (action === null) {
        ops.push({ change: null, apply: () => (target.last_directory_sync = stamp) });
        continue;
      }
      ops.push({
        change: { object: 'user', key: s.username, action, fields, reason },
        apply: () => {
          target.realname = s.realname;
          target.email = s.email;
          target.groups = [...s.groups];
          target.status = newStatus;
          target.purge_at = null;
          target.directory_key = d.directory_key;
          target.managed_by = d.name;
          target.last_directory_sync = stamp;
        },
      });
    }

    const purgeAt = iso(new Date(at.getTime() + TRASH_DAYS * 86_400_000));
    let trashing = 0;
    for (const u of st.users) {
      if (u.directory_key !== d.directory_key || inSource.has(u.username)) continue;
      if (only !== null && u.username.toLowerCase() !== only) continue;
      const target = u;
      if (u.status === 'pending deletion') {
        if (u.purge_at && u.purge_at <= stamp) {
          counts.purged++;
          ops.push({
            change: {
              object: 'user',
              key: u.username,
              action: 'purge',
              fields: [field('status', u.status, null)],
              reason: `The ${TRASH_DAYS}-day trash period ended.`,
            },
            apply: () => {
              st.users = st.users.filter((x) => x !== target);
            },
          });
        }
        continue;
      }
      trashing++;
      counts.trashed++;
      ops.push({
        change: {
          object: 'user',
          key: u.username,
          action: 'trash',
          fields: [field('status', u.status, 'pending deletion'), field('purge_at', null, purgeAt)],
          reason: `No longer in ${d.connection.name}. Kept in the trash for ${TRASH_DAYS} days, then deleted for good.`,
        },
        apply: () => {
          target.status = 'pending deletion';
          target.purge_at = purgeAt;
        },
      });
    }

    if (only === null) {
      const wanted = new Map<string, number>();
      for (const s of source) for (const g of s.groups) wanted.set(g, (wanted.get(g) ?? 0) + 1);
      for (const [name] of [...wanted].sort()) {
        const g = st.groups.find((x) => x.name === name);
        if (!g) {
          counts.groups_created++;
          ops.push({
            change: {
              object: 'group',
              key: name,
              action: 'create',
              fields: [field('description', null, `${name} (from ${d.connection.name})`)],
              reason: `New group in ${d.connection.name}.`,
            },
            apply: () => {
              st.groups.push({
                group_id: `g${st.nextId++}`,
                name,
                description: `${name} (from ${d.connection.name})`,
                directory_key: d.directory_key,
                managed_by: d.name,
              });
            },
          });
        }
      }
      for (const g of st.groups) {
        if (g.directory_key === d.directory_key && !wanted.has(g.name)) {
          counts.groups_deleted++;
          const target = g;
          ops.push({
            change: {
              object: 'group',
              key: g.name,
              action: 'delete',
              fields: [],
              reason: `The group no longer exists in ${d.connection.name}.`,
            },
            apply: () => {
              st.groups = st.groups.filter((x) => x !== target);
            },
          });
        }
      }
    }
    return { ops, counts, managed: managed.length, trashing, errors, conflicts };
  }

  /** The other sync of `d`'s type that manages an object and comes first in the order of precedence, if any. */
  private precedingOwner(st: TenantState, d: MDirectory, owner: string | null): MDirectory | null {
    if (owner === null || owner === d.directory_key) return null;
    const o = st.directories.find((x) => x.directory_key === owner);
    return o && o.sync_type === d.sync_type && o.precedence < d.precedence ? o : null;
  }

  private planAdmins(st: TenantState, d: MDirectory, source: SourceAdmin[], onlyEmail: string | null = null): Plan {
    const only = onlyEmail === null ? null : onlyEmail.toLowerCase();
    const counts = emptyCounts();
    const ops: PlannedOp[] = [];
    const byEmail = new Map(st.admins.map((a) => [a.email, a]));
    const inSource = new Set<string>();
    const managed = st.admins.filter((a) => a.directory_key === d.directory_key);
    const errors: Plan['errors'] = [];
    const conflicts: Conflict[] = [];
    for (const s of source) {
      if (only !== null && s.email.toLowerCase() !== only) continue;
      counts.seen++;
      inSource.add(s.email);
      const a = byEmail.get(s.email);
      if (!a) {
        counts.created++;
        ops.push({
          change: {
            object: 'admin',
            key: s.email,
            action: 'create',
            fields: [field('name', null, s.name), field('role', null, s.role), field('status', null, s.status)],
            reason: `New administrator in ${d.connection.name}.`,
          },
          apply: () => {
            st.admins.push({
              admin_id: `a${st.nextId++}`,
              name: s.name,
              email: s.email,
              role: s.role,
              status: s.status,
              managed_by: d.name,
              directory_key: d.directory_key,
            });
          },
        });
        continue;
      }
      const owner = this.precedingOwner(st, d, a.directory_key);
      if (owner) {
        counts.conflicts++;
        conflicts.push({
          object: 'admin',
          key: s.email,
          other: owner.directory_key,
          other_name: owner.name,
          kept: false,
          message:
            `The sync "${owner.name}" manages this administrator and comes first in the order of precedence, so this sync ` +
            `leaves them to it. To manage them from this sync, move this sync above "${owner.name}".`,
        });
        continue;
      }
      const fields: FieldChange[] = [];
      if (a.name !== s.name) fields.push(field('name', a.name, s.name));
      if (a.role !== s.role) fields.push(field('role', a.role, s.role));
      const target = a;
      if (a.directory_key !== d.directory_key) {
        counts.taken_over++;
        fields.push(field('managed_by', a.managed_by, d.name));
        ops.push({
          change: {
            object: 'admin',
            key: s.email,
            action: 'take_over',
            fields,
            reason:
              a.managed_by === null
                ? 'An administrator with the same email already existed; this sync now manages it.'
                : `This sync comes first in the order of precedence, so it now manages the administrator (it was managed by "${a.managed_by}").`,
          },
          apply: () => Object.assign(target, { name: s.name, role: s.role, directory_key: d.directory_key, managed_by: d.name }),
        });
      } else if (fields.length > 0) {
        counts.updated++;
        ops.push({
          change: { object: 'admin', key: s.email, action: 'update', fields, reason: `Changed in ${d.connection.name}.` },
          apply: () => Object.assign(target, { name: s.name, role: s.role }),
        });
      }
    }
    let trashing = 0;
    for (const a of managed) {
      if (inSource.has(a.email)) continue;
      if (only !== null && a.email.toLowerCase() !== only) continue;
      trashing++;
      counts.trashed++;
      const target = a;
      ops.push({
        change: {
          object: 'admin',
          key: a.email,
          action: 'delete',
          fields: [field('role', a.role, null)],
          reason: `No longer an administrator in ${d.connection.name}.`,
        },
        apply: () => {
          st.admins = st.admins.filter((x) => x !== target);
        },
      });
    }
    return { ops, counts, managed: managed.length, trashing, errors, conflicts };
  }

  private async run(
    st: TenantState,
    d: MDirectory,
    opts: { dryRun: boolean; approve: boolean; trigger: Trigger; username: string | null },
  ): Promise<RunReport> {
    if (d.running) {
      throw fail('conflict', `"${d.name}" is already syncing. Wait for that run to finish, then try again.`);
    }
    const started = this.now();
    // Previews are never recorded: they have no run id, and the history does not list them.
    const run_id = opts.dryRun ? null : st.nextRunId++;
    const report: RunReport = {
      run_id,
      directory_key: d.directory_key,
      directory_name: d.name,
      trigger: opts.trigger,
      outcome: 'running',
      started_at: iso(started),
      finished_at: null,
      counts: emptyCounts(),
      message: null,
      changes: [],
      changes_total: 0,
      errors: [],
      conflicts: [],
      held_reason: null,
    };
    const recorded = run_id === null ? null : { ...report, run_id };
    if (recorded) st.runs.push(recorded);
    /** Every change of the run; the report carries the first REPORT_CHANGES. */
    let log: Change[] = [];
    const previousStatus = d.status;
    const individual = opts.username !== null;
    d.running = true;
    d.status = 'running';
    if (recorded) d.last_run = this.summaryOf(recorded);
    const tenant = st.tenant.id;
    const progress = (phase: ProgressPhase, done: number, total: number, message: string) =>
      this.emit({ tenant, directory_key: d.directory_key, run_id, phase, done, total, message });

    const finish = (outcome: Outcome, message: string | null): RunReport => {
      report.outcome = outcome;
      report.message = message;
      report.finished_at = iso(this.now());
      report.changes_total = log.length;
      report.changes = log.slice(0, REPORT_CHANGES);
      d.running = false;
      // A new sync's schedule starts with the first full run, whatever its outcome (not a preview or one user).
      if (!opts.dryRun && opts.username === null) d.scheduleStarted = true;
      if (recorded) {
        Object.assign(recorded, clone(report), { run_id: recorded.run_id });
        st.changeLogs.set(recorded.run_id, log);
        d.last_run = this.summaryOf(recorded);
      }
      // As in the real store, any recorded run (individual ones too) sets the directory's status.
      if (outcome === 'preview') d.status = previousStatus;
      else if (outcome === 'failed') d.status = 'failed';
      else if (outcome === 'held') d.status = 'held';
      else d.status = 'ok';
      this.touch(st);
      return clone(report);
    };

    try {
      const total = individual ? 1 : d.sync_type === 'user' ? d.size : Math.max(d.size, 1);
      progress(
        'fetching',
        0,
        total,
        individual ? `Looking up "${opts.username}" in ${d.connection.name}…` : `Connecting to ${d.connection.name}…`,
      );
      await this.step();
      const cloud = st.cloud.find((c) => c.id === d.connection.id);
      if (cloud && cloud.status === 'needs_reauthorization') {
        const message = this.reauthorizationError(cloud).message;
        progress('failed', 0, total, message);
        return finish('failed', message);
      }
      if (d.connectionStatus === 'needs_credentials') {
        // As the backend says it when the bind password is not in the keychain.
        const message =
          `The bind password of the connection "${d.connection.name}" is not in the OS keychain (a tenant import never ` +
          `carries secrets, or it was removed). Nothing was changed. Enter it again: in the app, Connections → Enter bind ` +
          `password; or run \`rosterctl connection set-secret ${d.connection.id}\`.`;
        progress('failed', 0, total, message);
        return finish('failed', message);
      }
      if (d.scenario === 'unreachable') {
        const message =
          `Could not reach ${d.connection.name}: the connection timed out. ` +
          'Check that the server is running and reachable from this computer, then sync again.';
        progress('failed', 0, total, message);
        return finish('failed', message);
      }
      const chunks = individual ? 1 : 4;
      for (let i = 1; i <= chunks; i++) {
        progress('fetching', Math.round((total * i) / chunks), total, `Reading ${d.sync_type === 'user' ? 'users' : 'administrators'}…`);
        await this.step();
      }
      const nextStep = d.step + 1;
      const plan =
        d.sync_type === 'user'
          ? this.planUsers(st, d, this.sourceUsers(d, nextStep), opts.username, this.now())
          : this.planAdmins(st, d, this.sourceAdmins(d, nextStep), opts.username);
      if (opts.username !== null && plan.counts.seen === 0 && plan.ops.length === 0) {
        // The real engine ends such a run as failed, with the planner's explanation as its message.
        const name = opts.username;
        const message =
          d.sync_type === 'user'
            ? `No user with the username "${name}" was found in the synced groups, and this sync manages no such user. ` +
              'Check the spelling, and that the user is in a selected group.'
            : `No administrator with the email "${name}" was found in the role-mapped groups. ` +
              'Check the spelling, and that the person is in a mapped group.';
        progress('failed', 0, 0, message);
        return finish('failed', message);
      }
      progress('planning', plan.counts.seen, plan.counts.seen, 'Comparing with the local store…');
      await this.step();
      report.counts = plan.counts;
      log = changesOf(plan.ops);
      report.errors = plan.errors;
      report.conflicts = [...plan.conflicts, ...this.conflictsWon(st, d)];

      const overLimit =
        plan.trashing >= 3 && plan.managed > 0 && plan.trashing / plan.managed > TRASH_SAFETY_LIMIT;
      if (overLimit) {
        const pct = Math.round((plan.trashing / plan.managed) * 100);
        const what = d.sync_type === 'user' ? 'managed users' : 'managed administrators';
        const verb = d.sync_type === 'user' ? 'move' : 'remove';
        const where = d.sync_type === 'user' ? ' to the trash' : '';
        report.held_reason =
          `This sync would ${verb} ${plan.trashing} of ${plan.managed} ${what} (${pct}%)${where}, ` +
          `more than the ${Math.round(TRASH_SAFETY_LIMIT * 100)}% safety limit. ` +
          (opts.dryRun
            ? 'A real run would be held for approval.'
            : 'Nothing was changed. Check the source directory; if the removals are expected, approve the run to apply it.');
      }
      if (opts.dryRun) {
        progress('done', plan.counts.seen, plan.counts.seen, 'Preview ready. Nothing was changed.');
        return finish('preview', 'Preview only: nothing was changed.');
      }
      if (overLimit && !opts.approve) {
        progress('held', 0, log.length, 'Held for approval.');
        return finish('held', 'Held for approval: too many users would be removed.');
      }
      const ops = plan.ops;
      const changed = log.length;
      const stepSize = Math.max(1, Math.ceil(ops.length / 10));
      let applied = 0;
      progress('applying', 0, changed, 'Applying changes…');
      for (let i = 0; i < ops.length; i += stepSize) {
        for (const op of ops.slice(i, i + stepSize)) {
          op.apply();
          if (op.change) applied++;
        }
        progress('applying', applied, changed, 'Applying changes…');
        await this.step();
      }
      if (opts.username === null) {
        d.step = nextStep;
        d.last_full_sync = iso(this.now());
        // The conflicts it left to others are recorded.
        st.conflicts = [
          ...st.conflicts.filter((c) => c.loser !== d.directory_key),
          ...plan.conflicts.map((c) => ({ object: c.object, key: c.key, loser: d.directory_key, winner: c.other })),
        ];
      }
      const outcome: Outcome = overLimit && opts.approve ? 'approved' : 'succeeded';
      if (outcome === 'approved') {
        report.held_reason = null;
      }
      const message =
        (outcome === 'approved' ? 'Approved and applied. ' : '') +
        (changed === 0
          ? 'Everything was already up to date.'
          : `${changed.toLocaleString('en-US')} ${changed === 1 ? 'change' : 'changes'} applied.`);
      progress('done', changed, changed, message);
      return finish(outcome, message);
    } catch (e) {
      if (d.running) {
        d.running = false;
        d.status = 'failed';
        report.outcome = 'failed';
        report.finished_at = iso(this.now());
        if (recorded) {
          Object.assign(recorded, clone(report), { run_id: recorded.run_id });
          d.last_run = this.summaryOf(recorded);
        }
      }
      throw e;
    }
  }

  /** What other syncs found and left to `d` (they come after it), as the store's `conflicts_won`. */
  private conflictsWon(st: TenantState, d: MDirectory): Conflict[] {
    return st.conflicts
      .filter((c) => c.winner === d.directory_key)
      .flatMap((c) => {
        const other = st.directories.find((o) => o.directory_key === c.loser);
        if (!other) return [];
        return [
          {
            object: c.object,
            key: c.key,
            other: other.directory_key,
            other_name: other.name,
            kept: true,
            message: `The sync "${other.name}" also finds this ${c.object}; this sync comes first in the order of precedence, so it keeps it.`,
          },
        ];
      });
  }

  // ---------- sample data ----------

  private seedSampleData(): void {
    const acme = this.newTenant('Acme Corp');
    const globex = this.newTenant('Globex');
    this.currentId = acme.tenant.id;
    const now = this.now().getTime();
    const ago = (minutes: number) => new Date(now - minutes * 60_000);

    const corp: MDirectory = {
      directory_key: 'corporate-ad',
      name: 'Corporate AD',
      sync_type: 'user',
      connection: { id: 'conn-ad', kind: 'active_directory', name: 'ad.acme.example' },
      schedule: 'scheduled',
      interval_minutes: 60,
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: 42,
      size: 250,
      domain: 'acme.example',
      step: 0,
      scenario: 'shrinks',
      running: false,
      precedence: 1,
      scheduleStarted: true,
    };
    const okta: MDirectory = {
      directory_key: 'okta-admins',
      name: 'Okta admins',
      sync_type: 'admin',
      connection: { id: 'conn-okta', kind: 'okta', name: 'acme.okta.example' },
      schedule: 'paused',
      interval_minutes: 240,
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: 99,
      size: 12,
      domain: 'acme.example',
      step: 0,
      scenario: 'normal',
      running: false,
      precedence: 1,
      scheduleStarted: true,
    };
    const entra: MDirectory = {
      directory_key: 'entra-contractors',
      name: 'Entra contractors',
      sync_type: 'user',
      connection: { id: 'conn-entra', kind: 'entra', name: 'contractors.onmicrosoft.example' },
      schedule: 'scheduled',
      interval_minutes: 30,
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: 5,
      size: 40,
      domain: 'contractors.acme.example',
      step: 0,
      scenario: 'unreachable',
      running: false,
      precedence: 2,
      scheduleStarted: true,
    };
    // A Google Workspace sync whose sign-in was revoked: it fails until the connection is reauthorized.
    const google: MDirectory = {
      directory_key: 'google-staff',
      name: 'Google staff',
      sync_type: 'user',
      connection: { id: 'conn-google', kind: 'google', name: 'acme.example' },
      schedule: 'scheduled',
      interval_minutes: 60,
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: 21,
      size: 60,
      domain: 'acme.example',
      step: 0,
      scenario: 'normal',
      running: false,
      precedence: 3,
      scheduleStarted: true,
      groups: ['London office', 'Support'],
      usernameAttribute: 'primaryEmail',
    };
    acme.directories.push(corp, okta, entra, google);
    acme.cloud.push(
      {
        id: 'conn-okta',
        kind: 'okta',
        name: 'acme.okta.example',
        spec: { kind: 'okta', org_url: 'https://acme.okta.example', client_id: '0oa8f2k1x9LmQ4vT7d5h' },
        status: 'ready',
        authorized_by: 'root@acme.example',
        authorized_at: iso(ago(9 * 24 * 60)),
        domain: 'acme.example',
      },
      {
        id: 'conn-entra',
        kind: 'entra',
        name: 'contractors.onmicrosoft.example',
        spec: {
          kind: 'entra',
          tenant: 'contractors.onmicrosoft.example',
          client_id: '3f6b2c1d-8e4a-4b7c-9d2e-5a1f0c7b6e42',
          cloud: 'global',
          include_guests: false,
        },
        status: 'ready',
        authorized_by: 'it-admin@contractors.acme.example',
        authorized_at: iso(ago(21 * 24 * 60)),
        domain: 'contractors.acme.example',
      },
      {
        id: 'conn-google',
        kind: 'google',
        name: 'acme.example',
        spec: {
          kind: 'google',
          client_id: '418250937716-k2r9v0q5mfa3b1c7d8e6g4h2j0l5n9pq.apps.googleusercontent.com',
          client_secret: 'GOCSPX-sample-secret',
          customer: 'my_customer',
          domain: 'acme.example',
        },
        status: 'needs_reauthorization',
        authorized_by: 'root@acme.example',
        authorized_at: iso(ago(47 * 24 * 60)),
        domain: 'acme.example',
      },
    );

    // Users created by hand before any sync existed.
    const taken = new Set(makePeople(corp.seed, corp.size, corp.domain).map((p) => p.username));
    const manual = makePeople(1234, 60, 'acme.example', taken);
    const statuses: UserStatus[] = ['active', 'active', 'active', 'active', 'bypass', 'disabled', 'locked out'];
    const rng = new Rng(77);
    for (const p of manual) {
      acme.users.push({
        user_id: `u${acme.nextId++}`,
        username: p.username,
        realname: p.realname,
        email: p.email,
        status: rng.pick(statuses),
        groups: p.second ? [p.dept, p.second].sort() : [p.dept],
        managed_by: null,
        last_directory_sync: null,
        purge_at: null,
        directory_key: null,
      });
    }
    for (const name of ['Contractors', 'Security team']) {
      acme.groups.push({
        group_id: `g${acme.nextId++}`,
        name,
        description: `${name} (created by hand)`,
        directory_key: null,
        managed_by: null,
      });
    }
    acme.admins.push(
      { admin_id: `a${acme.nextId++}`, name: 'Root Admin', email: 'root@acme.example', role: 'Owner', status: 'Active', managed_by: null, directory_key: null },
      { admin_id: `a${acme.nextId++}`, name: 'Help Desk', email: 'helpdesk@acme.example', role: 'Help Desk', status: 'Pending Activation', managed_by: null, directory_key: null },
      { admin_id: `a${acme.nextId++}`, name: 'Old Auditor', email: 'audit@acme.example', role: 'Read-only', status: 'Expired', managed_by: null, directory_key: null },
    );

    // History: a first full sync of each directory, applied in the past.
    this.applyInitial(acme, corp, ago(26 * 60), 0);
    this.applyInitial(acme, corp, ago(125), 0);
    this.applyInitial(acme, okta, ago(3 * 24 * 60), 0);
    acme.runs.push(this.pastFailure(acme, entra, ago(40)));
    entra.status = 'failed';
    entra.last_run = this.summaryOf(acme.runs[acme.runs.length - 1]);
    const revoked: Recorded = {
      ...this.pastFailure(acme, google, ago(55)),
      message: this.reauthorizationError(acme.cloud[2]).message,
    };
    acme.runs.push(revoked);
    google.status = 'failed';
    google.last_run = this.summaryOf(revoked);

    // Some users already in the trash (left Corporate AD a few days ago).
    const leavers = makePeople(4321, 8, 'acme.example', new Set([...taken, ...manual.map((m) => m.username)]));
    leavers.forEach((p, i) => {
      acme.users.push({
        user_id: `u${acme.nextId++}`,
        username: p.username,
        realname: p.realname,
        email: p.email,
        status: 'pending deletion',
        groups: [p.dept],
        managed_by: corp.name,
        last_directory_sync: iso(ago(26 * 60)),
        purge_at: iso(new Date(now + (i + 1) * 18 * 3_600_000)),
        directory_key: corp.directory_key,
      });
    });

    globex.directories.push({
      directory_key: 'globex-ldap',
      name: 'Globex LDAP',
      sync_type: 'user',
      connection: { id: 'conn-ldap', kind: 'openldap', name: 'ldap.globex.example' },
      schedule: 'scheduled',
      interval_minutes: 60,
      last_full_sync: null,
      status: 'never_synced',
      last_run: null,
      seed: 11,
      size: 120,
      domain: 'globex.example',
      step: 0,
      scenario: 'normal',
      running: false,
      precedence: 1,
      scheduleStarted: false,
      // Imported from another computer: its bind password must be entered again.
      connectionStatus: 'needs_credentials',
    });
    this.touch(acme);
  }

  /** Applies a full sync at the source's given step without events, as if it ran at `at`. */
  private applyInitial(st: TenantState, d: MDirectory, at: Date, step: number): void {
    const plan =
      d.sync_type === 'user'
        ? this.planUsers(st, d, this.sourceUsers(d, step), null, at)
        : this.planAdmins(st, d, this.sourceAdmins(d, step));
    for (const op of plan.ops) op.apply();
    const changes = changesOf(plan.ops);
    const report: Recorded = {
      run_id: st.nextRunId++,
      directory_key: d.directory_key,
      directory_name: d.name,
      trigger: 'schedule',
      outcome: 'succeeded',
      started_at: iso(at),
      finished_at: iso(new Date(at.getTime() + 41_000)),
      counts: plan.counts,
      message: changes.length
        ? `${changes.length.toLocaleString('en-US')} ${changes.length === 1 ? 'change' : 'changes'} applied.`
        : 'Everything was already up to date.',
      changes: changes.slice(0, REPORT_CHANGES),
      changes_total: changes.length,
      errors: plan.errors,
      conflicts: plan.conflicts,
      held_reason: null,
    };
    st.runs.push(report);
    st.changeLogs.set(report.run_id, changes);
    d.status = 'ok';
    d.last_full_sync = report.finished_at;
    d.last_run = this.summaryOf(report);
  }

  private pastFailure(st: TenantState, d: MDirectory, at: Date): Recorded {
    return {
      run_id: st.nextRunId++,
      directory_key: d.directory_key,
      directory_name: d.name,
      trigger: 'schedule',
      outcome: 'failed',
      started_at: iso(at),
      finished_at: iso(new Date(at.getTime() + 30_000)),
      counts: emptyCounts(),
      message: `Could not reach ${d.connection.name}: the connection timed out. Check that the server is running and reachable from this computer, then sync again.`,
      changes: [],
      changes_total: 0,
      errors: [],
      conflicts: [],
      held_reason: null,
    };
  }
}

const SAMPLE_CA_PEM =
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUSampleSampleSampleSampleSampleMAoGCCqGSM49BAMC\n-----END CERTIFICATE-----\n';

function hashSeed(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % 1_000_000;
}

function norm(q: string): string {
  return (q ?? '').trim().toLowerCase();
}

function matchUser(u: MUser, q: string): boolean {
  return (
    !q || u.username.toLowerCase().includes(q) || u.realname.toLowerCase().includes(q) || u.email.toLowerCase().includes(q)
  );
}

function toUserRow(u: MUser): UserRow {
  return {
    user_id: u.user_id,
    username: u.username,
    realname: u.realname,
    email: u.email,
    status: u.status,
    groups: [...u.groups],
    managed_by: u.managed_by,
    last_directory_sync: u.last_directory_sync,
    purge_at: u.purge_at,
  };
}

function toAdminRow(a: MAdmin): AdminRow {
  return {
    admin_id: a.admin_id,
    name: a.name,
    email: a.email,
    role: a.role,
    status: a.status,
    managed_by: a.managed_by,
  };
}
