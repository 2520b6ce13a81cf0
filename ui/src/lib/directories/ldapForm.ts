// The "Add directory" wizard for the kinds the registry reaches over LDAP (Active Directory, OpenLDAP),
// without the UI: the form state, building the spec's `connection` object and the whole spec exactly as
// src-tauri/ipc-contract.md says, plain-English validation, and turning "Test connection" checks into display
// rows. What differs between the kinds (examples, username attributes, whether the schema can be told) is the
// registry's (`connection_kinds`, `ldap_setup`).

import type {
  AdminRole,
  AttributeMap,
  BindMethod,
  ConnectionKind,
  ConnectionKindInfo,
  DirectorySpec,
  LdapConnectionSpec,
  LdapSetup,
  SyncType,
  Transport,
} from '../backend/backend';
import { kindInfo } from '../kinds.svelte';

/** An LDAP group member attribute the connector reads. */
export type MemberAttribute = 'member' | 'uniqueMember' | 'memberUid';

/** What the registry says of an LDAP kind's setup, if the window has it. */
function ldapSetup(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): LdapSetup | null {
  return kindInfo(kind, list)?.ldap_setup ?? null;
}

// ---------- form state ----------

export interface ConnectionForm {
  kind: ConnectionKind;
  /** One server per line, in failover order. */
  servers: string;
  transport: Transport;
  /** Only meaningful with the clear transport. */
  allowClearPassword: boolean;
  caPem: string;
  verifyHostname: boolean;
  /** Simple (bind DN and password) or integrated Kerberos sign-in; offered for both kinds, simple by default. */
  bindMethod: BindMethod;
  /** Simple bind only (kept but not sent while Kerberos is chosen). */
  bindDn: string;
  bindPassword: string;
  /** Kerberos only: the host name in the server's service principal ldap/<host>; empty = the server's own. */
  kerberosHost: string;
  baseDn: string;
  // OpenLDAP "Advanced" (ignored for Active Directory)
  userObjectClass: string;
  groupObjectClass: string;
  memberAttribute: MemberAttribute | '';
  disabledAttribute: string;
  disabledValue: string;
}

/** A group chosen in the group picker; `role` only matters for admin syncs. */
export interface PickedGroup {
  dn: string;
  name: string;
  member_count: number | null;
  role: AdminRole | '';
}

export interface AttributesForm {
  username: string;
  email: string;
  realname: string;
  firstname: string;
  lastname: string;
}

export interface WizardForm {
  connection: ConnectionForm;
  type: SyncType;
  groups: PickedGroup[];
  attributes: AttributesForm;
  name: string;
}

export type WizardStep = 'connection' | 'groups' | 'attributes';

export const WIZARD_STEPS: readonly { id: WizardStep; label: string }[] = [
  { id: 'connection', label: 'Connection' },
  { id: 'groups', label: 'Groups' },
  { id: 'attributes', label: 'Attributes' },
];

/** What is wrong, where: `field` names the form control the message belongs under. */
export interface Problem {
  step: WizardStep;
  field: string;
  message: string;
}

export const TRANSPORT_LABELS: Record<Transport, string> = {
  ldaps: 'LDAPS (TLS from the start, port 636)',
  starttls: 'STARTTLS (upgrades port 389 to TLS)',
  clear: 'Clear (no encryption)',
};

export const BIND_METHOD_LABELS: Record<BindMethod, string> = {
  simple: 'Bind account and password',
  kerberos: 'Integrated sign-in (Kerberos)',
};

/** Roles an admin sync may give, most privileged first. Owner is never offered: Owners are never synced. */
export const ADMIN_ROLES: readonly AdminRole[] = [
  'Administrator',
  'Application Manager',
  'User Manager',
  'Security Analyst',
  'Help Desk',
  'Billing',
  'Phishing Manager',
  'Read-only',
];

export const MEMBER_ATTRIBUTES: readonly MemberAttribute[] = ['member', 'uniqueMember', 'memberUid'];


export function newConnectionForm(kind: ConnectionKind): ConnectionForm {
  return {
    kind,
    servers: '',
    transport: 'ldaps',
    allowClearPassword: false,
    caPem: '',
    verifyHostname: true,
    bindMethod: 'simple',
    bindDn: '',
    bindPassword: '',
    kerberosHost: '',
    baseDn: '',
    userObjectClass: '',
    groupObjectClass: '',
    memberAttribute: '',
    disabledAttribute: '',
    disabledValue: '',
  };
}

export function defaultAttributes(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): AttributesForm {
  return {
    username: defaultUsernameAttribute(kind, list),
    email: 'mail',
    realname: 'displayName',
    firstname: 'givenName',
    lastname: 'sn',
  };
}

export function newWizardForm(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): WizardForm {
  return {
    connection: newConnectionForm(kind),
    type: 'user',
    groups: [],
    attributes: defaultAttributes(kind, list),
    name: '',
  };
}

export function defaultUsernameAttribute(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): string {
  return usernameOptions(kind, list)[0]?.value ?? '';
}

/** The username attributes offered in the list (the first is the default); any other can be typed. */
export function usernameOptions(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): { value: string; label: string }[] {
  return ldapSetup(kind, list)?.username_attributes ?? [];
}

/**
 * Switches the directory type. The username attribute follows the type while it is still the other
 * type's default; anything the admin chose stays.
 */
export function withKind(form: WizardForm, kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): WizardForm {
  const from = form.connection.kind;
  const username =
    form.attributes.username === defaultUsernameAttribute(from, list)
      ? defaultUsernameAttribute(kind, list)
      : form.attributes.username;
  return {
    ...form,
    connection: { ...form.connection, kind },
    attributes: { ...form.attributes, username },
  };
}

export function bindDnPlaceholder(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): string {
  return ldapSetup(kind, list)?.bind_dn_placeholder ?? '';
}

export function baseDnPlaceholder(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): string {
  return ldapSetup(kind, list)?.base_dn_placeholder ?? '';
}

export function serversPlaceholder(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): string {
  return ldapSetup(kind, list)?.servers_placeholder ?? '';
}

/** Whether the kind's schema can be told (object classes, member attribute, disabled accounts). */
export function hasSchemaSettings(kind: ConnectionKind, list?: readonly ConnectionKindInfo[]): boolean {
  return ldapSetup(kind, list)?.schema_settings === true;
}

// ---------- building the connection and the spec ----------

/** The servers typed one per line (commas and spaces separate too), trimmed, empty lines dropped. */
export function parseServers(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function opt(v: string): string | undefined {
  const t = v.trim();
  return t ? t : undefined;
}

/**
 * The spec's `connection` object for the form, as the contract spells it. Empty optional fields are left
 * out; the OpenLDAP-only settings are sent for OpenLDAP only; `allow_clear_password` only with the clear
 * transport (and only when ticked). Kerberos sends `bind_method` (and `kerberos_host` when given) and never
 * a bind DN or password; simple bind leaves `bind_method` out (it is the default). Does not validate: see
 * {@link connectionProblems}.
 */
export function buildConnection(c: ConnectionForm, list?: readonly ConnectionKindInfo[]): LdapConnectionSpec {
  // Built in the contract's key order; base_dn (required) is set below.
  const out: Partial<LdapConnectionSpec> & Pick<LdapConnectionSpec, 'kind' | 'servers' | 'transport'> = {
    kind: c.kind,
    servers: parseServers(c.servers),
    transport: c.transport,
  };
  const ca = opt(c.caPem);
  if (ca && c.transport !== 'clear') out.ca_pem = ca;
  out.verify_hostname = c.verifyHostname;
  const kerberos = c.bindMethod === 'kerberos';
  if (kerberos) {
    out.bind_method = 'kerberos';
    const host = opt(c.kerberosHost);
    if (host) out.kerberos_host = host;
  } else {
    const bindDn = opt(c.bindDn);
    if (bindDn) out.bind_dn = bindDn;
    // Passwords are sent as typed (spaces may be part of them); an empty one is left out.
    if (c.bindPassword !== '') out.bind_password = c.bindPassword;
  }
  out.base_dn = c.baseDn.trim();
  if (!kerberos && c.transport === 'clear' && c.allowClearPassword) out.allow_clear_password = true;
  if (hasSchemaSettings(c.kind, list)) {
    const userClass = opt(c.userObjectClass);
    if (userClass) out.user_object_class = userClass;
    const groupClass = opt(c.groupObjectClass);
    if (groupClass) out.group_object_class = groupClass;
    if (c.memberAttribute) out.member_attribute = c.memberAttribute;
    const attribute = opt(c.disabledAttribute);
    if (attribute) {
      const value = opt(c.disabledValue);
      out.disabled_when = value === undefined ? { attribute } : { attribute, value };
    }
  }
  return out as LdapConnectionSpec;
}

const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;
const OBJECT_CLASS = ATTRIBUTE_NAME;

function quote(s: string): string {
  return `“${s}”`;
}

/** Everything wrong with the connection step, in plain English, in the order of the form. */
export function connectionProblems(c: ConnectionForm, list?: readonly ConnectionKindInfo[]): Problem[] {
  const out: Problem[] = [];
  const add = (field: string, message: string) => out.push({ step: 'connection', field, message });

  const servers = parseServers(c.servers);
  const example = serversPlaceholder(c.kind, list).split('\n')[0] || 'ldaps://ldap1.example.org:636';
  if (servers.length === 0) {
    add('servers', `Enter at least one LDAP server, for example ${example}.`);
  }
  const seen = new Set<string>();
  for (const s of servers) {
    const lower = s.toLowerCase();
    const scheme = lower.startsWith('ldaps://') ? 'ldaps' : lower.startsWith('ldap://') ? 'ldap' : null;
    if (scheme === null) {
      add('servers', `The server ${quote(s)} must start with ldap:// or ldaps://, for example ${example}.`);
      continue;
    }
    const host = s.slice(scheme.length + 3).replace(/\/+$/, '');
    if (!host || host.startsWith(':')) {
      add('servers', `The server ${quote(s)} has no host name after ${scheme}://.`);
      continue;
    }
    if (/[/?#@]/.test(host)) {
      add('servers', `The server ${quote(s)} should be just ${scheme}://host or ${scheme}://host:port, with no path.`);
      continue;
    }
    const port = /:(\d*)$/.exec(host);
    if (port && !host.endsWith(']') && (!port[1] || Number(port[1]) < 1 || Number(port[1]) > 65535)) {
      add('servers', `The port of the server ${quote(s)} must be a number from 1 to 65535.`);
      continue;
    }
    if (scheme === 'ldaps' && c.transport !== 'ldaps') {
      add(
        'servers',
        `The server ${quote(s)} is an ldaps:// address, but the transport is not LDAPS. ` +
          'Choose LDAPS as the transport, or write the server with ldap://.',
      );
    }
    if (seen.has(lower)) add('servers', `The server ${quote(s)} is listed twice.`);
    seen.add(lower);
  }

  const ca = c.caPem.trim();
  if (ca && c.transport !== 'clear' && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(ca)) {
    add(
      'caPem',
      'The CA certificate must be PEM text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. ' +
        "Paste the issuing CA's certificate, or leave the box empty to trust the system's CAs.",
    );
  }

  if (c.bindMethod === 'kerberos') {
    // No bind DN or password is sent (whatever the hidden fields still hold), so their rules do not apply.
    if (c.transport === 'clear') {
      add('transport', 'Kerberos sign-in needs LDAPS or STARTTLS here: most directories refuse it over a clear connection.');
    }
    const host = c.kerberosHost.trim();
    if (host && /[\s/:@]/.test(host)) {
      add(
        'kerberosHost',
        `Enter just the server's host name, for example dc1.example.org, not ${quote(host)}: Roster asks for ldap/<name> itself.`,
      );
    }
  } else {
    const bindDn = c.bindDn.trim();
    const hasPassword = c.bindPassword !== '';
    if (bindDn && !hasPassword) {
      add('bindPassword', "Enter the bind account's password. Roster keeps it in the OS keychain.");
    }
    if (!bindDn && hasPassword) {
      add(
        'bindDn',
        'A password was entered but no bind DN. Enter the bind DN of the service account, or clear the password to bind anonymously.',
      );
    }
    if (c.transport === 'clear' && hasPassword && !c.allowClearPassword) {
      add(
        'allowClearPassword',
        'With the Clear transport the password would be sent over the network unencrypted. ' +
          'Choose LDAPS or STARTTLS, or tick “Allow sending the password in the clear” if you accept the risk.',
      );
    }
  }

  if (!c.baseDn.trim()) {
    add('baseDn', `Enter the base DN to search, for example ${baseDnPlaceholder(c.kind, list)}.`);
  } else if (!c.baseDn.includes('=')) {
    add('baseDn', `The base DN ${quote(c.baseDn.trim())} is not a DN. Write it like ${baseDnPlaceholder(c.kind, list)}.`);
  }

  if (hasSchemaSettings(c.kind, list)) {
    for (const [field, value, what] of [
      ['userObjectClass', c.userObjectClass, 'user object class'],
      ['groupObjectClass', c.groupObjectClass, 'group object class'],
    ] as const) {
      const v = value.trim();
      if (v && !OBJECT_CLASS.test(v)) add(field, `The ${what} ${quote(v)} is not an object class name. Use letters, digits and hyphens.`);
    }
    const attr = c.disabledAttribute.trim();
    if (!attr && c.disabledValue.trim()) {
      add('disabledWhen', 'Enter the attribute that marks an account disabled, or clear the value.');
    } else if (attr && !ATTRIBUTE_NAME.test(attr)) {
      add('disabledWhen', `${quote(attr)} is not an LDAP attribute name. Use letters, digits and hyphens, e.g. employeeType.`);
    }
  }
  return out;
}

/** Everything wrong with the groups step. */
export function groupsProblems(type: SyncType, groups: readonly PickedGroup[]): Problem[] {
  const out: Problem[] = [];
  if (groups.length === 0) {
    out.push({
      step: 'groups',
      field: 'groups',
      message:
        type === 'admin'
          ? 'Select at least one group, and choose the administrator role its members get.'
          : 'Select at least one group to sync. Only members of the selected groups are synced.',
    });
    return out;
  }
  if (type === 'admin') {
    for (const g of groups) {
      if (!g.role) out.push({ step: 'groups', field: `role:${g.dn}`, message: `Choose a role for ${quote(g.name)}.` });
      else if (!ADMIN_ROLES.includes(g.role)) {
        out.push({ step: 'groups', field: `role:${g.dn}`, message: `${quote(g.role)} is not a role that can be synced.` });
      }
    }
  }
  return out;
}

/** Everything wrong with the attributes step (attribute names and the sync's name). */
export function attributesProblems(type: SyncType, a: AttributesForm, name: string): Problem[] {
  const out: Problem[] = [];
  const add = (field: string, message: string) => out.push({ step: 'attributes', field, message });
  const username = a.username.trim();
  if (!username) add('username', 'Enter the username attribute, for example sAMAccountName or uid.');
  const fields: [keyof AttributesForm, string][] = [
    ['username', username],
    ['email', a.email.trim()],
    ['realname', a.realname.trim()],
    ['firstname', a.firstname.trim()],
    ['lastname', a.lastname.trim()],
  ];
  for (const [field, v] of fields) {
    if (v && !ATTRIBUTE_NAME.test(v)) {
      add(field, `${quote(v)} is not an LDAP attribute name. Use letters, digits and hyphens, e.g. ${field === 'email' ? 'mail' : 'displayName'}.`);
    }
  }
  if (type === 'admin' && !a.email.trim()) {
    add('email', 'Admin syncs match administrators by email: enter the email attribute (usually mail).');
  }
  const n = name.trim();
  if (!n) add('name', 'Enter a name for the directory sync.');
  return out;
}

export function stepProblems(form: WizardForm, step: WizardStep, list?: readonly ConnectionKindInfo[]): Problem[] {
  switch (step) {
    case 'connection':
      return connectionProblems(form.connection, list);
    case 'groups':
      return groupsProblems(form.type, form.groups);
    case 'attributes':
      return attributesProblems(form.type, form.attributes, form.name);
  }
}

/** The problems of one field (for the message under it). */
export function problemsFor(problems: readonly Problem[], field: string): string[] {
  return problems.filter((p) => p.field === field).map((p) => p.message);
}

export function buildAttributes(a: AttributesForm): AttributeMap {
  const out: AttributeMap = { username: a.username.trim() };
  for (const key of ['email', 'realname', 'firstname', 'lastname'] as const) {
    const v = opt(a[key]);
    if (v) out[key] = v;
  }
  return out;
}

/** The connection object, or what is wrong with it. */
export function checkedConnection(
  c: ConnectionForm,
  list?: readonly ConnectionKindInfo[],
): { connection: LdapConnectionSpec } | { problems: Problem[] } {
  const problems = connectionProblems(c, list);
  return problems.length ? { problems } : { connection: buildConnection(c, list) };
}

/**
 * The spec for `directory_add`: `{name, type, connection, groups}` for user syncs or
 * `{name, type, connection, roles}` for admin syncs, then `attributes`; or every problem, step by step.
 */
export function buildSpec(
  form: WizardForm,
  list?: readonly ConnectionKindInfo[],
): { spec: DirectorySpec & { connection: LdapConnectionSpec } } | { problems: Problem[] } {
  const problems = [
    ...connectionProblems(form.connection, list),
    ...groupsProblems(form.type, form.groups),
    ...attributesProblems(form.type, form.attributes, form.name),
  ];
  if (problems.length) return { problems };
  // Keys in the contract's order: name, type, connection, groups (or roles), attributes.
  const name = form.name.trim();
  const connection = buildConnection(form.connection, list);
  const attributes = buildAttributes(form.attributes);
  if (form.type === 'user') {
    return { spec: { name, type: 'user', connection, groups: form.groups.map((g) => g.dn), attributes } };
  }
  const roles: Partial<Record<string, AdminRole>> = {};
  for (const g of form.groups) if (g.role) roles[g.dn] = g.role;
  return { spec: { name, type: 'admin', connection, roles, attributes } };
}

// The group picker's selection helpers live in ldapGroups.ts; re-exported for the wizard's imports.
export * from './ldapGroups';
// "Test connection" rows and summary live in ldapChecks.ts; re-exported for the wizard's imports.
export * from './ldapChecks';
