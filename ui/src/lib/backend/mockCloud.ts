// The cloud half of the MockBackend: checking a CloudConnectionSpec like `connection_authorize` does, the
// vendor's sign-in and consent URL the app would open in the system browser, who "signs in", and fixed,
// realistic group lists (opaque ids, names, member counts) for Entra ID, Google Workspace and Okta.
//
// The fake vendors: a tenant, domain or org URL containing "denied" stands for an admin who clicks
// "Cancel"/"Deny" on the consent page (the sign-in is refused: `unauthorized`); one containing "noanswer"
// stands for an admin who never answers (the wait ends with `timeout`). Everything else is approved after
// the consent delay. Demo connections need nothing else and always approve.

import type { CloudConnectionSpec, CloudKind, CommandError, EntraCloud, GroupSummary } from './backend';
import { checkName } from './mockNames';

type Json = Record<string, unknown>;

function fail(code: CommandError['code'], message: string): CommandError {
  return { code, message };
}

export const CLOUD_KINDS: readonly CloudKind[] = ['entra', 'google', 'okta'];

export function isCloudKind(kind: unknown): kind is CloudKind {
  return typeof kind === 'string' && (CLOUD_KINDS as readonly string[]).includes(kind);
}

const VENDOR: Record<CloudKind, string> = {
  entra: 'Microsoft Entra ID',
  google: 'Google Workspace',
  okta: 'Okta',
};

const DEMO_VENDOR: Record<CloudKind, string> = {
  entra: 'Entra ID (demo)',
  google: 'Google Workspace (demo)',
  okta: 'Okta (demo)',
};

/** The vendor's name as the consent-progress event gives it. */
export function vendorName(spec: CloudConnectionSpec): string {
  return spec.demo ? DEMO_VENDOR[spec.kind] : VENDOR[spec.kind];
}

const FIELDS: Record<CloudKind, Set<string>> = {
  entra: new Set(['kind', 'name', 'demo', 'tenant', 'client_id', 'cloud', 'include_guests', 'authority_url', 'graph_url']),
  google: new Set(['kind', 'name', 'demo', 'client_id', 'client_secret', 'customer', 'domain', 'authorize_url', 'token_url', 'api_url']),
  okta: new Set(['kind', 'name', 'demo', 'org_url', 'client_id', 'authorize_url', 'token_url', 'api_url']),
};
const CLOUDS: readonly EntraCloud[] = ['global', 'us_government', 'china'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function str(c: Json, key: string): string | undefined {
  const v = c[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw fail('validation', `The connection settings are not valid: "${key}" must be a string.`);
  const t = v.trim();
  return t ? t : undefined;
}

function url(c: Json, key: string, what: string): void {
  const v = str(c, key);
  if (v === undefined) return;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw fail('validation', `The ${what} ("${key}") is not a URL. Write it like https://host/path, or leave it out.`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw fail('validation', `The ${what} ("${key}") must start with https:// (http:// is only allowed for this computer).`);
  }
}

/** connection_authorize's checks, with messages that name the field to fix. */
export function checkCloudSpec(connection: unknown): CloudConnectionSpec {
  if (!connection || typeof connection !== 'object' || Array.isArray(connection)) {
    throw fail('validation', 'The connection settings are not valid: expected a JSON object.');
  }
  const c = connection as Json;
  if (c.kind === undefined) throw fail('validation', 'The connection settings are not valid: missing field `kind`.');
  if (!isCloudKind(c.kind)) {
    throw fail(
      'validation',
      `The connection settings are not valid: unknown variant \`${String(c.kind)}\`, expected \`entra\`, \`google\` or \`okta\`.`,
    );
  }
  const kind = c.kind;
  for (const k of Object.keys(c)) {
    if (!FIELDS[kind].has(k)) throw fail('validation', `The connection settings are not valid: unknown field \`${k}\`.`);
  }
  if (c.demo !== undefined && typeof c.demo !== 'boolean') {
    throw fail('validation', 'The connection settings are not valid: "demo" must be true or false.');
  }
  const name = str(c, 'name');
  if (name !== undefined) checkName('connection', name);
  if (c.demo === true) return { ...(c as unknown as CloudConnectionSpec) };

  if (kind === 'entra') {
    const tenant = str(c, 'tenant');
    if (!tenant) {
      throw fail('validation', 'Give the Directory (tenant) ID ("tenant"): it is on the Overview page of the app registration.');
    }
    if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
      throw fail('validation', `The tenant ("tenant") "${tenant}" is neither a Directory (tenant) ID nor a domain name.`);
    }
    const client = str(c, 'client_id');
    if (!client) throw fail('validation', 'Give the Application (client) ID ("client_id") of the app registration.');
    if (!GUID.test(client)) {
      throw fail('validation', `The Application (client) ID ("client_id") must be a GUID like 8a1c6f2e-0b5d-4c1e-9f3a-2d7e6b4c1a90.`);
    }
    if (c.cloud !== undefined && !(CLOUDS as readonly unknown[]).includes(c.cloud)) {
      throw fail(
        'validation',
        `The connection settings are not valid: unknown variant \`${String(c.cloud)}\`, expected \`global\`, \`us_government\` or \`china\`.`,
      );
    }
    if (c.include_guests !== undefined && typeof c.include_guests !== 'boolean') {
      throw fail('validation', 'The connection settings are not valid: "include_guests" must be true or false.');
    }
    url(c, 'authority_url', 'sign-in address');
    url(c, 'graph_url', 'Microsoft Graph address');
  } else if (kind === 'google') {
    const client = str(c, 'client_id');
    if (!client) throw fail('validation', 'Give the OAuth client ID ("client_id") from the Google Cloud console.');
    if (!client.endsWith('.apps.googleusercontent.com')) {
      throw fail('validation', 'The OAuth client ID ("client_id") must end with .apps.googleusercontent.com.');
    }
    if (!str(c, 'client_secret')) {
      throw fail('validation', 'Give the OAuth client secret ("client_secret"); Roster keeps it in the OS keychain.');
    }
    const customer = str(c, 'customer');
    if (customer && customer !== 'my_customer' && !/^C[0-9a-z]{5,}$/i.test(customer)) {
      throw fail('validation', `The customer ID ("customer") "${customer}" should look like C01abc23d, or be left out.`);
    }
    const domain = str(c, 'domain');
    if (domain && !DOMAIN.test(domain)) throw fail('validation', `The domain ("domain") "${domain}" is not a domain name.`);
    url(c, 'authorize_url', 'sign-in address');
    url(c, 'token_url', 'token address');
    url(c, 'api_url', 'API address');
  } else {
    const org = str(c, 'org_url');
    if (!org) throw fail('validation', 'Give the Okta org URL ("org_url"), for example https://acme.okta.com.');
    url(c, 'org_url', 'Okta org URL');
    if (!org.startsWith('https://')) throw fail('validation', 'The Okta org URL ("org_url") must start with https://.');
    if (!str(c, 'client_id')) throw fail('validation', 'Give the Client ID ("client_id") of the Okta app integration.');
    url(c, 'authorize_url', 'sign-in address');
    url(c, 'token_url', 'token address');
    url(c, 'api_url', 'API address');
  }
  return { ...(c as unknown as CloudConnectionSpec) };
}

/** What the simulated admin does on the consent page. */
export function consentAnswer(spec: CloudConnectionSpec): 'approve' | 'deny' | 'none' {
  if (spec.demo) return 'approve';
  const where = (spec.kind === 'entra' ? spec.tenant : spec.kind === 'google' ? (spec.domain ?? spec.customer) : spec.org_url) ?? '';
  if (where.toLowerCase().includes('denied')) return 'deny';
  if (where.toLowerCase().includes('noanswer')) return 'none';
  return 'approve';
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** `n` characters from `alphabet`, derived from `seed` (the same every time). */
function token(seed: string, n: number, alphabet = '0123456789abcdef'): string {
  let out = '';
  for (let i = 0; out.length < n; i++) {
    let h = hash(`${seed}#${i}`);
    for (let j = 0; j < 4 && out.length < n; j++) {
      out += alphabet[h % alphabet.length];
      h = Math.floor(h / alphabet.length);
    }
  }
  return out;
}

function guid(seed: string): string {
  const t = token(seed, 32);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-4${t.slice(13, 16)}-a${t.slice(17, 20)}-${t.slice(20, 32)}`;
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function trimSlash(u: string): string {
  return u.trim().replace(/\/+$/, '');
}

/** The page the system browser is opened on (PKCE, a loopback redirect, the vendor's read-only scopes). */
export function consentUrl(spec: CloudConnectionSpec, attempt: number): string {
  const seed = `${JSON.stringify(spec)}|${attempt}`;
  const port = 49152 + (hash(seed) % 16000);
  const state = token(`${seed}|state`, 22, ALNUM);
  const challenge = token(`${seed}|pkce`, 43, ALNUM);
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  if (spec.demo) return `http://127.0.0.1:${port}/${spec.kind}/consent?${q({ state })}`;
  const pkce = { code_challenge: challenge, code_challenge_method: 'S256', state };
  if (spec.kind === 'entra') {
    const cloud = spec.cloud ?? 'global';
    const authority = trimSlash(
      spec.authority_url ??
        (cloud === 'us_government'
          ? 'https://login.microsoftonline.us'
          : cloud === 'china'
            ? 'https://login.chinacloudapi.cn'
            : 'https://login.microsoftonline.com'),
    );
    const graph = trimSlash(
      spec.graph_url ??
        (cloud === 'us_government'
          ? 'https://graph.microsoft.us'
          : cloud === 'china'
            ? 'https://microsoftgraph.chinacloudapi.cn'
            : 'https://graph.microsoft.com'),
    );
    return `${authority}/${encodeURIComponent(spec.tenant ?? '')}/oauth2/v2.0/authorize?${q({
      client_id: spec.client_id ?? '',
      response_type: 'code',
      redirect_uri: `http://localhost:${port}`,
      response_mode: 'query',
      scope: `offline_access openid profile ${graph}/User.Read.All ${graph}/GroupMember.Read.All`,
      prompt: 'consent',
      ...pkce,
    })}`;
  }
  if (spec.kind === 'google') {
    const base = trimSlash(spec.authorize_url ?? 'https://accounts.google.com/o/oauth2/v2/auth');
    return `${base}?${q({
      client_id: spec.client_id ?? '',
      redirect_uri: `http://127.0.0.1:${port}`,
      response_type: 'code',
      scope:
        'openid email https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.group.readonly',
      access_type: 'offline',
      prompt: 'consent',
      ...(spec.domain ? { hd: spec.domain } : {}),
      ...pkce,
    })}`;
  }
  const base = trimSlash(spec.authorize_url ?? `${trimSlash(spec.org_url ?? '')}/oauth2/v1/authorize`);
  return `${base}?${q({
    client_id: spec.client_id ?? '',
    response_type: 'code',
    scope: 'openid profile offline_access okta.users.read okta.groups.read',
    redirect_uri: `http://127.0.0.1:${port}/callback`,
    ...pkce,
  })}`;
}

/** The organisation's domain (users' email domain). */
export function cloudDomain(spec: CloudConnectionSpec): string {
  if (spec.demo) {
    return spec.kind === 'entra' ? 'contoso-demo.example' : spec.kind === 'google' ? 'workspace-demo.example' : 'okta-demo.example';
  }
  if (spec.kind === 'entra') {
    const t = spec.tenant ?? '';
    return GUID.test(t) ? `${t.slice(0, 8)}.onmicrosoft.example` : t.toLowerCase();
  }
  if (spec.kind === 'google') return (spec.domain ?? 'workspace.example').toLowerCase();
  try {
    const host = new URL(spec.org_url ?? '').hostname.toLowerCase();
    return host.split('.')[0] + '.example';
  } catch {
    return 'okta.example';
  }
}

/** The connection's display name: the given one, else the tenant, domain or org host. */
export function cloudConnectionName(spec: CloudConnectionSpec): string {
  if (spec.name?.trim()) return spec.name.trim();
  if (spec.demo) return DEMO_VENDOR[spec.kind];
  if (spec.kind === 'entra') return spec.tenant?.trim() ?? VENDOR.entra;
  if (spec.kind === 'google') return spec.domain?.trim() || spec.customer?.trim() || VENDOR.google;
  try {
    return new URL(spec.org_url ?? '').host;
  } catch {
    return VENDOR.okta;
  }
}

/** Who approved Roster on the consent page. */
export function signedInAs(spec: CloudConnectionSpec): string {
  return `${spec.kind === 'google' ? 'superadmin' : 'admin'}@${cloudDomain(spec)}`;
}

/** The stored settings: the spec without its secret, its kind or its name. */
export function cloudConfig(spec: CloudConnectionSpec): Record<string, unknown> {
  const { kind: _kind, name: _name, ...rest } = spec as CloudConnectionSpec & { client_secret?: string };
  const { client_secret: _secret, ...config } = rest as Record<string, unknown>;
  return config;
}

// ---------- the group picker ----------

const GROUPS: Record<CloudKind, readonly [string, number][]> = {
  entra: [
    ['All Company', 1790],
    ['Contractors', 126],
    ['Customer Success', 88],
    ['Engineering', 412],
    ['Engineering - Platform', 97],
    ['Executives', 12],
    ['Finance', 64],
    ['Guests - Partners', 44],
    ['Help Desk', 15],
    ['Human Resources', 28],
    ['Interns 2026', 41],
    ['IT Admins', 9],
    ['Legal', 17],
    ['Marketing', 72],
    ['Remote Workers', 604],
    ['Roster Admins', 5],
    ['Roster Read-only', 9],
    ['Sales', 230],
    ['Security Operations', 11],
    ['SG-VPN-Users', 955],
  ],
  google: [
    ['All staff', 1512],
    ['Berlin office', 143],
    ['Contractors', 61],
    ['Design', 34],
    ['Engineering', 388],
    ['Finance', 52],
    ['Help Desk', 14],
    ['Legal', 11],
    ['London office', 297],
    ['Marketing', 66],
    ['New York office', 402],
    ['Product', 47],
    ['Roster Admins', 4],
    ['Roster Help Desk', 6],
    ['Sales team', 214],
    ['Security', 9],
    ['Support', 120],
    ['Workspace Admins', 3],
  ],
  okta: [
    ['Contractors', 98],
    ['Engineering', 455],
    ['Everyone', 1842],
    ['Executives', 10],
    ['Finance', 58],
    ['Legal', 16],
    ['Managers', 151],
    ['Marketing', 70],
    ['Okta Administrators', 4],
    ['People Ops', 25],
    ['Roster Admins', 6],
    ['Roster Help Desk', 12],
    ['Sales', 244],
    ['Support', 131],
    ['VPN Access', 902],
  ],
};

function groupId(kind: CloudKind, connectionId: string, name: string): string {
  const seed = `${kind}|${connectionId}|${name}`;
  if (kind === 'entra') return guid(seed);
  if (kind === 'google') return `0${token(seed, 14, '0123456789abcdefghijklmnopqrstuvwxyz')}`;
  return `00g${token(seed, 17, ALNUM)}`;
}

/** Every group of a cloud connection: opaque ids, names and member counts. */
export function cloudGroupList(kind: CloudKind, connectionId: string): GroupSummary[] {
  return GROUPS[kind].map(([name, count]) => ({ external_id: groupId(kind, connectionId, name), name, member_count: count }));
}

/** Names containing the query (case-insensitive), sorted by name, at most `limit`. */
export function searchCloudGroups(kind: CloudKind, connectionId: string, query: string, limit: number): GroupSummary[] {
  const q = (query ?? '').trim().toLowerCase();
  const n = Math.min(500, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 50)));
  return cloudGroupList(kind, connectionId)
    .filter((g) => !q || g.name.toLowerCase().includes(q))
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    .slice(0, n);
}

/** The group with that id, or undefined. */
export function findCloudGroup(kind: CloudKind, connectionId: string, id: string): GroupSummary | undefined {
  return cloudGroupList(kind, connectionId).find((g) => g.external_id === id);
}
