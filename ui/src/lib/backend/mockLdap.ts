// The LDAP half of the MockBackend: spec validation with the real backend's messages
// (src-tauri/crates/roster-api/src/spec.rs, connector-ldap/src/settings.rs), a fake "Test connection"
// (connector-ldap/src/diagnose.rs) and a fixed list of Active Directory-like groups for the group picker.
//
// The fake network: a host ending in ".invalid" does not resolve; a host containing "down" refuses
// connections; TLS fails without a pasted CA certificate (as with a private CA), and for an IP address
// while "Verify hostname" is on; the password "wrong" is rejected; Kerberos sign-in works unless the
// "kerberos_host" contains "unknown" (no such service principal); a base DN containing "notfound" does
// not exist. Everything else passes.

import type { CommandError, ConnectionCheck, GroupSummary, LdapConnectionSpec } from './backend';

type Json = Record<string, unknown>;

function fail(code: CommandError['code'], message: string): CommandError {
  return { code, message };
}

const SETTINGS_FIELDS = new Set([
  'servers',
  'transport',
  'ca_pem',
  'verify_hostname',
  'connect_timeout_secs',
  'search_timeout_secs',
  'bind_dn',
  'bind_method',
  'kerberos_host',
  'base_dn',
  'allow_clear_password',
  'user_object_class',
  'group_object_class',
  'member_attribute',
  'disabled_when',
  'page_size',
  'member_range',
]);
const LDAP_FIELDS = new Set([...SETTINGS_FIELDS, 'kind', 'name', 'bind_password', 'ca_cert_file']);
const TRANSPORTS = ['clear', 'starttls', 'ldaps'] as const;
const BIND_METHODS = ['simple', 'kerberos'] as const;

export const SPEC_FIELDS = new Set([
  'name',
  'type',
  'connection',
  'groups',
  'attributes',
  'roles',
  'interval_minutes',
  'paused',
  'deletion_threshold_percent',
  'first_run',
]);
const ATTRIBUTE_FIELDS = new Set(['username', 'aliases', 'email', 'realname', 'firstname', 'lastname', 'phones', 'notes', 'custom']);

/** Roles by Duo's name, most privileged first (Owner included: the backend refuses it with its own message). */
export const ROLE_NAMES = [
  'Owner',
  'Administrator',
  'Application Manager',
  'User Manager',
  'Security Analyst',
  'Help Desk',
  'Billing',
  'Phishing Manager',
  'Read-only',
] as const;

/**
 * What serde would say about the shape of an LDAP connection object (unknown fields, wrong types,
 * missing required fields), or null when the shape is right. `what` prefixes the message.
 */
function shapeError(c: Json): string | null {
  for (const k of Object.keys(c)) {
    if (!LDAP_FIELDS.has(k)) return `unknown field \`${k}\``;
  }
  if (!Array.isArray(c.servers)) return c.servers === undefined ? 'missing field `servers`' : '"servers" must be a list of strings';
  if (c.servers.some((s) => typeof s !== 'string')) return '"servers" must be a list of strings';
  if (c.transport === undefined) return 'missing field `transport`';
  if (!(TRANSPORTS as readonly unknown[]).includes(c.transport)) {
    return `unknown variant \`${String(c.transport)}\`, expected one of \`clear\`, \`starttls\`, \`ldaps\``;
  }
  if (c.bind_method !== undefined && !(BIND_METHODS as readonly unknown[]).includes(c.bind_method)) {
    return `unknown variant \`${String(c.bind_method)}\`, expected \`simple\` or \`kerberos\``;
  }
  if (c.base_dn === undefined) return 'missing field `base_dn`';
  for (const k of ['base_dn', 'ca_pem', 'bind_dn', 'bind_password', 'kerberos_host', 'name', 'user_object_class', 'group_object_class', 'member_attribute']) {
    if (c[k] !== undefined && c[k] !== null && typeof c[k] !== 'string') return `"${k}" must be a string`;
  }
  for (const k of ['verify_hostname', 'allow_clear_password']) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') return `"${k}" must be true or false`;
  }
  if (c.disabled_when !== undefined && c.disabled_when !== null) {
    const d = c.disabled_when as Json;
    if (typeof d !== 'object' || typeof d.attribute !== 'string') return '"disabled_when" needs an "attribute"';
    for (const k of Object.keys(d)) if (k !== 'attribute' && k !== 'value') return `unknown field \`${k}\``;
  }
  return null;
}

/** Settings::validate and ConnectionSpec::validate, with their messages. */
function settingsError(c: LdapConnectionSpec): string | null {
  if (c.servers.length === 0) return 'Give at least one LDAP server, for example "ldaps://dc1.example.org:636".';
  for (const s of c.servers) {
    if (!(s.startsWith('ldap://') || s.startsWith('ldaps://'))) return `The server "${s}" must start with ldap:// or ldaps://.`;
    if (s.startsWith('ldaps://') && c.transport !== 'ldaps') {
      return `The server "${s}" is an ldaps:// address, but the transport is not "ldaps". Make them agree.`;
    }
  }
  if (!c.base_dn.trim()) return 'Give the base DN to search, for example "dc=example,dc=org".';
  if (c.member_attribute !== undefined && !['member', 'uniquemember', 'memberuid'].includes(c.member_attribute.toLowerCase())) {
    return `The member attribute "${c.member_attribute}" is not supported. Use member, uniqueMember or memberUid.`;
  }
  if (c.transport === 'clear' && c.bind_password !== undefined && !c.allow_clear_password) {
    return 'A password bind over a clear (unencrypted) connection would send the password in the open. Use "starttls" or "ldaps", or set "allow_clear_password": true if you accept the risk.';
  }
  // Kerberos needs no password (a bind DN is ignored with it).
  if (c.bind_method !== 'kerberos' && c.bind_dn !== undefined && c.bind_password === undefined) {
    return 'Give the bind account\'s password ("bind_password"); Roster keeps it in the OS keychain.';
  }
  return null;
}

/** Checks a draft connection (the `_draft` commands): throws {code: 'validation'} like the real backend. */
export function checkDraftConnection(connection: unknown): LdapConnectionSpec {
  if (!connection || typeof connection !== 'object' || Array.isArray(connection)) {
    throw fail('validation', 'The connection settings are not valid: expected a JSON object.');
  }
  const c = connection as Json;
  if (c.kind !== 'active_directory' && c.kind !== 'openldap') {
    const kind = typeof c.kind === 'string' ? c.kind : 'unknown';
    if (c.kind === undefined) throw fail('validation', 'The connection settings are not valid: missing field `kind`.');
    throw fail('validation', `Testing "${kind}" connections before saving is not available.`);
  }
  const shape = shapeError(c);
  if (shape) throw fail('validation', `The connection settings are not valid: ${shape}.`);
  const spec = normalise(c);
  const problem = settingsError(spec);
  if (problem) throw fail('validation', problem);
  return spec;
}

/** Checks the connection of a spec given to `directory_add`; the message reads like the real parse error. */
export function checkSpecConnection(c: Json): LdapConnectionSpec {
  const shape = shapeError(c);
  if (shape) {
    throw fail(
      'validation',
      `The directory spec is not valid: ${shape}. A minimal spec is {"name": "Demo", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}; the README lists every field.`,
    );
  }
  const spec = normalise(c);
  const problem = settingsError(spec);
  if (problem) throw fail('validation', problem);
  return spec;
}

function normalise(c: Json): LdapConnectionSpec {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const out: LdapConnectionSpec = {
    kind: c.kind as LdapConnectionSpec['kind'],
    servers: [...(c.servers as string[])],
    transport: c.transport as LdapConnectionSpec['transport'],
    base_dn: c.base_dn as string,
    verify_hostname: c.verify_hostname === undefined ? true : (c.verify_hostname as boolean),
  };
  const optional = ['ca_pem', 'bind_dn', 'kerberos_host', 'bind_password', 'name', 'user_object_class', 'group_object_class'] as const;
  for (const k of optional) {
    const v = text(c[k]);
    if (v !== undefined) out[k] = v;
  }
  if (c.bind_method === 'simple' || c.bind_method === 'kerberos') out.bind_method = c.bind_method;
  if (typeof c.member_attribute === 'string') out.member_attribute = c.member_attribute as LdapConnectionSpec['member_attribute'];
  if (c.allow_clear_password === true) out.allow_clear_password = true;
  if (c.disabled_when && typeof c.disabled_when === 'object') out.disabled_when = { ...(c.disabled_when as { attribute: string; value?: string }) };
  return out;
}

/** AttributeMap: shape and validate(). */
export function checkAttributes(a: unknown): { username: string; email: string | null } | null {
  if (a === undefined || a === null) return null;
  if (typeof a !== 'object' || Array.isArray(a)) {
    throw fail('validation', 'The directory spec is not valid: "attributes" must be an object. The README lists every field.');
  }
  const m = a as Json;
  for (const k of Object.keys(m)) {
    if (!ATTRIBUTE_FIELDS.has(k)) {
      throw fail('validation', `The directory spec is not valid: unknown field \`${k}\` in "attributes". The README lists every field.`);
    }
  }
  if (typeof m.username !== 'string') {
    throw fail('validation', 'The directory spec is not valid: missing field `username` in "attributes". The README lists every field.');
  }
  if (!m.username.trim()) {
    throw fail(
      'validation',
      'The username attribute is empty. Name the source attribute that holds each user\'s username, for example "uid" or "sAMAccountName".',
    );
  }
  return { username: m.username, email: typeof m.email === 'string' ? m.email : null };
}

/** parse_roles: every role must be a role name; Owner is refused. */
export function checkRoles(roles: unknown): Record<string, string> {
  if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) {
    throw fail('validation', 'The directory spec is not valid: "roles" must map group DNs to role names.');
  }
  const out: Record<string, string> = {};
  for (const [group, role] of Object.entries(roles as Json)) {
    if (typeof role !== 'string' || !(ROLE_NAMES as readonly string[]).includes(role)) {
      throw fail('validation', `"${String(role)}" is not an administrator role. Use one of: ${ROLE_NAMES.slice(1).join(', ')}.`);
    }
    if (role === 'Owner') {
      throw fail(
        'validation',
        `The group "${group}" is mapped to Owner, but Owners are never synced. Map it to Administrator or a lesser role, and manage Owners by hand.`,
      );
    }
    out[group] = role;
  }
  return out;
}

// ---------- the fake network ----------

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function bytes(seed: number, n: number): number[] {
  const out: number[] = [];
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push((x >>> 0) & 0xff);
  }
  return out;
}

/** Settings::url: the URL for a server with the transport's scheme and default port. */
export function serverUrl(server: string, transport: LdapConnectionSpec['transport']): string {
  const rest = server.replace(/^ldaps:\/\//, '').replace(/^ldap:\/\//, '').replace(/\/+$/, '');
  const [scheme, port] = transport === 'ldaps' ? ['ldaps', 636] : ['ldap', 389];
  return rest.includes(':') && !rest.endsWith(']') ? `${scheme}://${rest}` : `${scheme}://${rest}:${port}`;
}

function hostOf(url: string): string {
  const rest = url.split('://')[1] ?? url;
  if (rest.startsWith('[')) return rest.slice(1, rest.indexOf(']'));
  return rest.replace(/:\d*$/, '');
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function isIp(host: string): boolean {
  return IPV4.test(host) || host.includes(':');
}

/** "DC=samdom,DC=test" → "samdom.test". */
export function domainOf(baseDn: string): string {
  const parts = baseDn
    .split(',')
    .map((p) => p.trim())
    .filter((p) => /^dc=/i.test(p))
    .map((p) => p.slice(3).trim().toLowerCase())
    .filter(Boolean);
  return parts.length ? parts.join('.') : 'example.org';
}

function certificate(host: string, c: LdapConnectionSpec): string {
  const domain = domainOf(c.base_dn);
  const label = domain.split('.')[0].toUpperCase();
  const fingerprint = bytes(hash(host + (c.ca_pem ?? '')), 32)
    .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join(':');
  const issuer =
    c.kind === 'active_directory'
      ? `DC=${domain.split('.').join(', DC=')}, CN=${label}-DC1-CA`
      : `O=${label}, CN=${label} Internal Root CA`;
  return (
    `the certificate is trusted; subject: CN=${host}; issuer: ${issuer}; ` +
    `valid until Nov 28 12:00:00 2027 +00:00; SHA-256 fingerprint ${fingerprint}`
  );
}

function check(step: ConnectionCheck['step'], server: string, ok: boolean, detail: string): ConnectionCheck {
  return { step, server, ok, detail };
}

/** diagnose(): each server in turn, stopping at the first that passes every step. */
export function diagnose(c: LdapConnectionSpec): ConnectionCheck[] {
  const out: ConnectionCheck[] = [];
  for (const server of c.servers) {
    const url = serverUrl(server, c.transport);
    const host = hostOf(url);
    // 1. Name resolution.
    if (host.endsWith('.invalid') || !host) {
      out.push(
        check(
          'resolve',
          url,
          false,
          'the name does not resolve (failed to lookup address information: Name or service not known). Check the server name and DNS.',
        ),
      );
      continue;
    }
    const h = hash(host);
    const ip = isIp(host) ? host : `10.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${(h & 0xfe) + 1}`;
    out.push(check('resolve', url, true, `resolves to ${ip}`));
    // 2. TCP.
    if (host.includes('down')) {
      out.push(
        check(
          'connect',
          url,
          false,
          'cannot connect (Connection refused (os error 111)). Check that the server is running and that no firewall blocks the port.',
        ),
      );
      continue;
    }
    out.push(check('connect', url, true, 'the port accepts connections'));
    // 3. TLS.
    if (c.transport !== 'clear') {
      if (c.ca_pem !== undefined && !c.ca_pem.includes('-----BEGIN CERTIFICATE-----')) {
        out.push(
          check(
            'tls',
            url,
            false,
            'No certificate was found in the CA certificate PEM. Paste the issuing CA\'s certificate.',
          ),
        );
        continue;
      }
      if (c.ca_pem === undefined) {
        out.push(
          check(
            'tls',
            url,
            false,
            `${url}: the TLS handshake failed (invalid peer certificate: UnknownIssuer). If the certificate is not trusted, add the issuing CA's certificate to the connection`,
          ),
        );
        continue;
      }
      if (c.verify_hostname !== false && isIp(host)) {
        out.push(
          check(
            'tls',
            url,
            false,
            `${url}: the TLS handshake failed (invalid peer certificate: certificate not valid for name "${host}"; certificate is only valid for DnsName("dc1.${domainOf(c.base_dn)}")). Use the name on the certificate, or turn off "Verify hostname"`,
          ),
        );
        continue;
      }
      out.push(check('tls', url, true, certificate(host, c)));
    }
    // 4. Bind.
    if (c.bind_method === 'kerberos') {
      // client::kerberos_host: the configured name, else the server's host.
      const principal = `ldap/${c.kerberos_host ?? host}`;
      if (c.kerberos_host !== undefined && c.kerberos_host.toLowerCase().includes('unknown')) {
        out.push(
          check(
            'bind',
            url,
            false,
            `Kerberos sign-in to ${principal} failed (Server not found in Kerberos database). Sign in to the domain (or run kinit) so there is a ticket, and check that the server's name in "kerberos_host" matches its service principal.`,
          ),
        );
        continue;
      }
      out.push(check('bind', url, true, 'bound with the Kerberos ticket'));
    } else if (c.bind_dn !== undefined) {
      if (c.bind_password === undefined) {
        out.push(check('bind', url, false, 'the bind password is missing. Enter it again.'));
        continue;
      }
      if (c.transport === 'clear' && !c.allow_clear_password) {
        out.push(check('bind', url, false, 'a password bind over a clear connection is not allowed. Use STARTTLS or LDAPS.'));
        continue;
      }
      if (c.bind_password === 'wrong') {
        out.push(
          check(
            'bind',
            url,
            false,
            'The directory rejected the bind account or password (invalid credentials). Check the bind DN and password.',
          ),
        );
        continue;
      }
      out.push(check('bind', url, true, `bound as ${c.bind_dn}`));
    } else {
      out.push(check('bind', url, true, 'bound as anonymous'));
    }
    // 5. Base DN.
    if (c.base_dn.toLowerCase().includes('notfound')) {
      out.push(
        check('base_dn', url, false, `Reading ${c.base_dn}: the base DN does not exist on the server. Check the base DN.`),
      );
      continue;
    }
    out.push(check('base_dn', url, true, `${c.base_dn} is readable`));
    return out;
  }
  return out;
}

/** client::open(): the error the group picker (or a sync) would get when no server can be used. */
export function openError(c: LdapConnectionSpec): CommandError | null {
  const checks = diagnose(c);
  const last = checks[checks.length - 1];
  if (!last || last.ok) return null;
  if (last.step === 'bind') return fail('unauthorized', last.detail);
  if (last.step === 'base_dn') return fail('validation', last.detail);
  const reasons = checks.filter((k) => !k.ok).map((k) => (k.detail.startsWith(k.server) ? k.detail : `${k.server}: ${k.detail}`));
  return fail('source_unreachable', `No LDAP server could be reached: ${reasons.join('; ')}.`);
}

// ---------- the group picker ----------

/** [name, member count, in CN=Users (AD built-ins)] */
const GROUPS: readonly [string, number, boolean][] = [
  ['Domain Admins', 4, true],
  ['Domain Users', 1842, true],
  ['Enterprise Admins', 2, true],
  ['Schema Admins', 1, true],
  ['Account Operators', 3, false],
  ['Accounting', 37, false],
  ['All Staff', 1790, false],
  ['Contractors', 126, false],
  ['Customer Support', 88, false],
  ['Duo Admins', 6, false],
  ['Duo Users', 1512, false],
  ['Engineering', 412, false],
  ['Engineering - Mobile', 54, false],
  ['Engineering - Platform', 97, false],
  ['Executives', 12, false],
  ['Facilities', 19, false],
  ['Finance', 64, false],
  ['Help Desk', 15, false],
  ['Human Resources', 28, false],
  ['Interns', 41, false],
  ['IT Operations', 23, false],
  ['Legal', 17, false],
  ['Managers', 143, false],
  ['Marketing', 72, false],
  ['Payroll', 8, false],
  ['Remote Workers', 604, false],
  ['Roster Administrators', 5, false],
  ['Roster Read-only', 9, false],
  ['Sales', 230, false],
  ['Sales - Americas', 96, false],
  ['Sales - EMEA', 81, false],
  ['Security Team', 11, false],
  ['VPN Users', 955, false],
];

export function groupList(c: { kind: string; base_dn: string }): GroupSummary[] {
  const ad = c.kind === 'active_directory';
  return GROUPS.map(([name, count, builtin]) => ({
    external_id: ad ? `CN=${name},${builtin ? 'CN=Users' : 'OU=Groups'},${c.base_dn}` : `cn=${name},ou=groups,${c.base_dn}`,
    name,
    member_count: count,
  }));
}

/** search_groups(): names containing the query (case-insensitive), sorted by name, at most `limit`. */
export function searchGroups(c: { kind: string; base_dn: string }, query: string, limit: number): GroupSummary[] {
  const q = (query ?? '').trim().toLowerCase();
  const n = Math.min(500, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 50)));
  return groupList(c)
    .filter((g) => !q || g.name.toLowerCase().includes(q))
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    .slice(0, n);
}

/** Member count of a group DN in the fixed list, or null. */
export function memberCountOf(c: { kind: string; base_dn: string }, dn: string): number | null {
  const g = groupList(c).find((x) => x.external_id.toLowerCase() === dn.toLowerCase());
  return g ? g.member_count : null;
}
