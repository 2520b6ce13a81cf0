// The "Add cloud directory" wizard (the kinds the registry reaches through a vendor's API: Entra ID, Google
// Workspace, Okta), without the UI: the form state, the `connection_authorize` spec (real or demo), the
// group picker's selection and the `directory_add` spec, which names the saved connection by id. What each
// vendor asks for, its guide and its names come from the registry (`connection_kinds`); the backend checks
// the values and says which field is wrong.

import type {
  AdminRole,
  CloudConnectionSpec,
  Connection,
  ConnectionKind,
  ConnectionKindInfo,
  DirectorySpec,
  GroupSummary,
  Setting,
  SyncType,
} from '../backend/backend';
import { kindInfo, kindsReached } from '../kinds.svelte';
import { ADMIN_ROLES } from './ldapForm';

// ---------- vendors ----------

/** "Microsoft Entra ID", or "Entra ID (demo)" for the built-in emulator. */
export function vendorLabel(info: ConnectionKindInfo, demo: boolean): string {
  return demo && info.demo_name ? info.demo_name : info.name;
}

/** Whether the registry reaches `kind` through a vendor's API (signing in through the browser). */
export function isCloudKind(kind: string, list?: readonly ConnectionKindInfo[]): kind is ConnectionKind {
  return kindsReached('cloud', list).some((k) => k.kind === kind);
}

// ---------- the setup guide ----------

/** One instruction. `**bold**` marks what to click or choose, `` `code` `` what to type or copy. */
export type GuideStep = string;

export interface GuideSegment {
  text: string;
  style: 'plain' | 'strong' | 'code';
}

/** Splits one guide step into plain text, `**bold**` and `` `code` `` segments. */
export function guideSegments(step: GuideStep): GuideSegment[] {
  return step
    .split(/(\*\*[^*]+\*\*|`[^`]+`)/)
    .filter((part) => part !== '')
    .map((part): GuideSegment => {
      if (part.startsWith('**') && part.endsWith('**') && part.length > 4) return { text: part.slice(2, -2), style: 'strong' };
      if (part.startsWith('`') && part.endsWith('`') && part.length > 2) return { text: part.slice(1, -1), style: 'code' };
      return { text: part, style: 'plain' };
    });
}

// ---------- form state ----------

/** A setting's value as typed: text (ids, addresses, a choice) or a flag. */
export type SettingValue = string | boolean;

/** The form. Each kind keeps its own settings, by the registry's keys, so switching vendors loses nothing typed. */
export interface CloudForm {
  kind: ConnectionKind;
  demo: boolean;
  /** The connection's display name; empty = the tenant, domain or org. */
  connectionName: string;
  settings: Partial<Record<ConnectionKind, Record<string, SettingValue>>>;
}

/** Every setting a kind's setup asks for: the app registration's, then the other endpoints. */
export function settingsOf(info: ConnectionKindInfo | undefined): Setting[] {
  return info?.setup ? [...info.setup.settings, ...info.setup.endpoints] : [];
}

/** A setting's starting value: empty, no, or the first choice. */
export function settingDefault(s: Setting): SettingValue {
  if (s.input.type === 'flag') return false;
  if (s.input.type === 'choice') return s.input.options[0]?.value ?? '';
  return '';
}

/** The form's settings for `kind`, filled with the defaults of what it has not got yet. */
export function ensureSettings(form: CloudForm, info: ConnectionKindInfo | undefined): Record<string, SettingValue> {
  const values = (form.settings[form.kind] ??= {});
  for (const s of settingsOf(info)) if (!(s.key in values)) values[s.key] = settingDefault(s);
  return values;
}

export function newCloudForm(kind: ConnectionKind, demo = false, info: ConnectionKindInfo | undefined = kindInfo(kind)): CloudForm {
  const form: CloudForm = { kind, demo, connectionName: '', settings: {} };
  ensureSettings(form, info);
  return form;
}

// ---------- what is missing ----------

/** What is wrong, under which field (a setting's key, `groups`, `role:<id>`, `name`, `connectionName`). */
export interface CloudProblem {
  field: string;
  message: string;
}

export function messagesFor(problems: readonly CloudProblem[], field: string): string[] {
  return problems.filter((p) => p.field === field).map((p) => p.message);
}

function quote(s: string): string {
  return `“${s}”`;
}

function text(v: SettingValue | undefined): string {
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * The required settings left empty (nothing for a demo), in the order of the form. Whether a filled-in value
 * is right is the backend's to say: `connection_authorize` refuses it before the browser opens, naming the field.
 */
export function connectionProblems(form: CloudForm, info: ConnectionKindInfo | undefined): CloudProblem[] {
  if (form.demo) return [];
  const values = form.settings[form.kind] ?? {};
  return settingsOf(info)
    .filter((s) => s.required && text(values[s.key]) === '')
    .map((s) => ({ field: s.key, message: `Enter the ${s.label}.${s.help ? ` ${s.help}` : ''}` }));
}

// ---------- the connection_authorize spec ----------

/** The demo spec: the built-in offline emulator of the vendor needs nothing else. */
export function demoConnection(kind: ConnectionKind): CloudConnectionSpec {
  return { kind, demo: true };
}

/**
 * The `connection` argument of `connection_authorize`, as the contract spells it: the kind, then each
 * setting by its key. Empty text is left out, a flag only when set, a choice always. Does not validate: see
 * {@link checkedConnection}.
 */
export function buildConnection(form: CloudForm, info: ConnectionKindInfo | undefined): CloudConnectionSpec {
  const name = form.connectionName.trim();
  if (form.demo) return name ? { kind: form.kind, name, demo: true } : demoConnection(form.kind);
  const values = form.settings[form.kind] ?? {};
  const spec: CloudConnectionSpec = { kind: form.kind };
  if (name) spec.name = name;
  for (const s of settingsOf(info)) {
    const v = values[s.key];
    if (s.input.type === 'flag') {
      if (v === true) spec[s.key] = true;
    } else if (text(v) !== '') {
      spec[s.key] = text(v);
    }
  }
  return spec;
}

/** The spec, or the required settings left empty. */
export function checkedConnection(
  form: CloudForm,
  info: ConnectionKindInfo | undefined,
): { connection: CloudConnectionSpec } | { problems: CloudProblem[] } {
  const problems = connectionProblems(form, info);
  return problems.length ? { problems } : { connection: buildConnection(form, info) };
}

/**
 * Where a `validation` rejection of `connection_authorize` belongs: its message names the spec field in
 * quotes (`"client_id"`); null when it names none the form shows.
 */
export function fieldOfMessage(info: ConnectionKindInfo | undefined, message: string): string | null {
  const named = (key: string) => message.includes(`"${key}"`) || message.includes(`\`${key}\``);
  for (const s of settingsOf(info)) if (named(s.key)) return s.key;
  return named('name') ? 'connectionName' : null;
}

// ---------- wizard steps ----------

export type CloudStep = 'directory' | 'app' | 'signin' | 'groups' | 'name';

/** The steps for the chosen vendor: a demo (or a saved connection) needs no app registration. */
export function cloudSteps(info: ConnectionKindInfo | undefined, skipApp: boolean): { id: CloudStep; label: string }[] {
  return [
    { id: 'directory', label: 'Directory' },
    ...(skipApp ? [] : [{ id: 'app' as const, label: info?.setup?.app ?? 'App registration' }]),
    { id: 'signin', label: 'Sign in' },
    { id: 'groups', label: 'Groups' },
    { id: 'name', label: 'Name' },
  ];
}

// ---------- groups and the directory_add spec ----------

/** A group chosen in the picker. The id is the vendor's opaque id; people see the name. */
export interface PickedCloudGroup {
  id: string;
  name: string;
  member_count: number | null;
  role: AdminRole | '';
}

export function isPicked(groups: readonly PickedCloudGroup[], id: string): boolean {
  return groups.some((g) => g.id === id);
}

/** Selects a search result, or unselects it when it is already selected. */
export function toggleGroup(groups: readonly PickedCloudGroup[], g: GroupSummary): PickedCloudGroup[] {
  if (isPicked(groups, g.external_id)) return removeGroup(groups, g.external_id);
  return [...groups, { id: g.external_id, name: g.name, member_count: g.member_count, role: '' }];
}

export function removeGroup(groups: readonly PickedCloudGroup[], id: string): PickedCloudGroup[] {
  return groups.filter((g) => g.id !== id);
}

export function setRole(groups: readonly PickedCloudGroup[], id: string, role: AdminRole | ''): PickedCloudGroup[] {
  return groups.map((g) => (g.id === id ? { ...g, role } : g));
}

/** "2 groups selected, with up to 642 people." (Someone in both groups is counted once per group, hence "up to".) */
export function selectionSummary(groups: readonly PickedCloudGroup[]): string {
  if (groups.length === 0) return '';
  const known = groups.filter((g) => g.member_count !== null);
  const total = known.reduce((sum, g) => sum + (g.member_count ?? 0), 0);
  const n = groups.length === 1 ? '1 group' : `${groups.length} groups`;
  if (known.length === 0) return `${n} selected.`;
  return `${n} selected, with up to ${total.toLocaleString('en-US')} ${total === 1 ? 'person' : 'people'}.`;
}

export function groupsProblems(type: SyncType, groups: readonly PickedCloudGroup[]): CloudProblem[] {
  if (groups.length === 0) {
    return [
      {
        field: 'groups',
        message:
          type === 'admin'
            ? 'Select at least one group, and choose the administrator role its members get.'
            : 'Select at least one group to sync. Only members of the selected groups are synced.',
      },
    ];
  }
  if (type !== 'admin') return [];
  const out: CloudProblem[] = [];
  for (const g of groups) {
    if (!g.role) out.push({ field: `role:${g.id}`, message: `Choose a role for ${quote(g.name)}.` });
    else if (!ADMIN_ROLES.includes(g.role)) {
      out.push({ field: `role:${g.id}`, message: `${quote(g.role)} is not a role that can be synced.` });
    }
  }
  return out;
}

export function nameProblems(name: string): CloudProblem[] {
  const n = name.trim();
  if (!n) return [{ field: 'name', message: 'Enter a name for the directory sync.' }];
  return [];
}

/** A starting name for the sync: "Okta users", "Entra ID admins". */
export function suggestedName(info: ConnectionKindInfo | undefined, type: SyncType): string {
  return `${info?.short_name ?? 'Cloud'} ${type === 'admin' ? 'admins' : 'users'}`;
}

export interface CloudSyncForm {
  name: string;
  type: SyncType;
  groups: PickedCloudGroup[];
}

/**
 * The `directory_add` spec over the saved connection: `{name, type, connection: "<id>", groups}` for user
 * syncs or `{name, type, connection, roles: {"<group id>": role}}` for admin syncs; or every problem.
 */
export function buildSyncSpec(
  connection: Pick<Connection, 'id'>,
  form: CloudSyncForm,
): { spec: DirectorySpec } | { problems: CloudProblem[] } {
  const problems = [...groupsProblems(form.type, form.groups), ...nameProblems(form.name)];
  if (problems.length) return { problems };
  const name = form.name.trim();
  if (form.type === 'user') {
    return { spec: { name, type: 'user', connection: connection.id, groups: form.groups.map((g) => g.id) } };
  }
  const roles: Partial<Record<string, AdminRole>> = {};
  for (const g of form.groups) if (g.role) roles[g.id] = g.role;
  return { spec: { name, type: 'admin', connection: connection.id, roles } };
}

// ---------- the first step: which directory ----------

/** The radio value of the first step: a cloud kind, the kind and `:demo`, or `saved:<connection id>`. */
export type CloudChoice = string;

export type ParsedChoice = { source: 'new'; kind: ConnectionKind; demo: boolean } | { source: 'saved'; id: string };

export function choiceOf(kind: ConnectionKind, demo: boolean): CloudChoice {
  return demo ? `${kind}:demo` : kind;
}

export function parseChoice(choice: CloudChoice, list?: readonly ConnectionKindInfo[]): ParsedChoice | null {
  if (choice.startsWith('saved:') && choice.length > 6) return { source: 'saved', id: choice.slice(6) };
  const [kind, flag] = choice.split(':');
  if (!isCloudKind(kind, list) || (flag !== undefined && flag !== 'demo')) return null;
  return { source: 'new', kind, demo: flag === 'demo' };
}
