// The "Add cloud directory" wizard for Microsoft Entra ID, Google Workspace and Okta, without the UI: the
// vendors, the guide to creating the customer's own app registration, the form state, plain-English field
// validation, the `connection_authorize` spec (real or demo), the group picker's selection and the
// `directory_add` spec, which names the saved connection by id.

import type {
  AdminRoleName,
  CloudConnectionSpec,
  CloudDirectorySpec,
  CloudKind,
  ConnectionInfo,
  EntraCloud,
  EntraConnectionSpec,
  GoogleConnectionSpec,
  GroupSummary,
  OktaConnectionSpec,
  SyncType,
} from '../backend/backend';
import { ADMIN_ROLES } from './ldapForm';

// ---------- vendors ----------

export interface CloudVendor {
  kind: CloudKind;
  label: string;
  /** Shorter, for names such as "Okta users". */
  short: string;
  demoLabel: string;
  /** The button that starts the sign-in. */
  signIn: string;
  /** What the customer creates in the vendor's console (the wizard step's label). */
  app: string;
  blurb: string;
}

export const CLOUD_VENDORS: Record<CloudKind, CloudVendor> = {
  entra: {
    kind: 'entra',
    label: 'Microsoft Entra ID',
    short: 'Entra ID',
    demoLabel: 'Entra ID (demo)',
    signIn: 'Sign in with Microsoft',
    app: 'App registration',
    blurb: 'Formerly Azure Active Directory. Reads users and groups through Microsoft Graph.',
  },
  google: {
    kind: 'google',
    label: 'Google Workspace',
    short: 'Google Workspace',
    demoLabel: 'Google Workspace (demo)',
    signIn: 'Sign in with Google',
    app: 'OAuth client',
    blurb: 'Reads users and groups through the Admin SDK Directory API.',
  },
  okta: {
    kind: 'okta',
    label: 'Okta',
    short: 'Okta',
    demoLabel: 'Okta (demo)',
    signIn: 'Sign in with Okta',
    app: 'App integration',
    blurb: 'Reads users and groups through the Okta Management API.',
  },
};

export const CLOUD_KIND_ORDER: readonly CloudKind[] = ['entra', 'google', 'okta'];

export function isCloudKind(kind: string): kind is CloudKind {
  return (CLOUD_KIND_ORDER as readonly string[]).includes(kind);
}

/** "Microsoft Entra ID", or "Entra ID (demo)" for the built-in emulator. */
export function vendorLabel(kind: CloudKind, demo: boolean): string {
  return demo ? CLOUD_VENDORS[kind].demoLabel : CLOUD_VENDORS[kind].label;
}

export const ENTRA_CLOUD_LABELS: Record<EntraCloud, string> = {
  global: 'Global (login.microsoftonline.com)',
  us_government: 'US Government (GCC High, DoD: login.microsoftonline.us)',
  china: 'China, operated by 21Vianet (login.chinacloudapi.cn)',
};

// ---------- the setup guide ----------

/** One instruction. `**bold**` marks what to click or choose, `` `code` `` what to type or copy. */
export type GuideStep = string;

export const SETUP_GUIDES: Record<CloudKind, { intro: string; steps: GuideStep[]; note: string }> = {
  entra: {
    intro:
      'Roster signs in with an app registration of your own, so only your tenant trusts it. Creating one takes about five minutes.',
    steps: [
      'Sign in to the Microsoft Entra admin center (`https://entra.microsoft.com`) as a Global Administrator or Privileged Role Administrator.',
      'Go to **Identity > Applications > App registrations** and choose **New registration**.',
      'Name it `Roster` and choose **Accounts in this organizational directory only (Single tenant)**.',
      'Under **Redirect URI**, select the platform **Public client/native (mobile & desktop)** and enter `http://localhost/callback`, then choose **Register**. (Added later under Authentication, this platform is called **Mobile and desktop applications**.)',
      'Open **API permissions > Add a permission > Microsoft Graph > Delegated permissions** and add `User.Read.All` and `GroupMember.Read.All`. Keep `offline_access`, `openid` and `profile`, which let Roster stay signed in.',
      'Choose **Grant admin consent for** your organization and confirm. Every permission should now show **Granted**.',
      'On the **Overview** page, copy the **Application (client) ID** and the **Directory (tenant) ID** into the fields below.',
    ],
    note: 'No client secret is needed: Roster signs in as a desktop app (with PKCE) and only reads.',
  },
  google: {
    intro:
      'Roster signs in with an OAuth client of your own, created in a Google Cloud project of your organization. It takes about five minutes.',
    steps: [
      'Open the Google Cloud console (`https://console.cloud.google.com`) with your Workspace account and create a new project, for example `Roster`.',
      'In **APIs & Services > Library**, find **Admin SDK API** and choose **Enable**.',
      'In **APIs & Services > OAuth consent screen** (called **Google Auth Platform** in newer consoles), choose the user type **Internal**, name the app `Roster`, enter a support email and save.',
      'In **APIs & Services > Credentials**, choose **Create credentials > OAuth client ID**, application type **Desktop app**, name `Roster`, then **Create**.',
      'Copy the **Client ID** and the **Client secret** into the fields below.',
      'When you sign in in the next step, use a **super administrator** account of your Workspace: it can read every user and group.',
    ],
    note: 'Roster asks only for read-only access to users and groups. The client secret is kept in the OS keychain.',
  },
  okta: {
    intro:
      'Roster signs in with an app integration of your own in your Okta org. Creating one takes about five minutes.',
    steps: [
      'Sign in to the Okta **Admin Console** (your org address with `-admin`, for example `https://acme-admin.okta.com`).',
      'Go to **Applications > Applications** and choose **Create App Integration**: sign-in method **OIDC - OpenID Connect**, application type **Native Application**, then **Next**.',
      'Name it `Roster`. Under **Grant type**, tick **Authorization Code** and **Refresh Token**.',
      'Set the **Sign-in redirect URI** to `http://127.0.0.1/callback`. Roster receives the answer on this computer only.',
      'Under **Assignments**, assign the app to the administrator who will sign in in the next step, then **Save**.',
      'On the **General** tab, under **Client Credentials**, set **Client authentication** to **None** and tick **Require PKCE as additional verification**.',
      'On the **Okta API Scopes** tab, choose **Grant** for `okta.users.read` and `okta.groups.read`.',
      'Copy the **Client ID** from the General tab, and your org URL (the Admin Console address without `-admin`, for example `https://acme.okta.com`), into the fields below.',
    ],
    note: 'The administrator who signs in needs a role that can read users and groups, for example Read-only Administrator.',
  },
};

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

export interface EntraForm {
  tenant: string;
  clientId: string;
  cloud: EntraCloud;
  includeGuests: boolean;
  authorityUrl: string;
  graphUrl: string;
}

export interface GoogleForm {
  clientId: string;
  clientSecret: string;
  customer: string;
  domain: string;
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

export interface OktaForm {
  orgUrl: string;
  clientId: string;
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

/** Each vendor keeps its own fields, so switching vendors loses nothing typed. */
export interface CloudForm {
  kind: CloudKind;
  demo: boolean;
  /** The connection's display name; empty = the tenant, domain or org. */
  connectionName: string;
  entra: EntraForm;
  google: GoogleForm;
  okta: OktaForm;
}

export function newCloudForm(kind: CloudKind = 'entra', demo = false): CloudForm {
  return {
    kind,
    demo,
    connectionName: '',
    entra: { tenant: '', clientId: '', cloud: 'global', includeGuests: false, authorityUrl: '', graphUrl: '' },
    google: { clientId: '', clientSecret: '', customer: '', domain: '', authorizeUrl: '', tokenUrl: '', apiUrl: '' },
    okta: { orgUrl: '', clientId: '', authorizeUrl: '', tokenUrl: '', apiUrl: '' },
  };
}

// ---------- validation ----------

/** What is wrong, under which field (`entra.tenant`, `okta.orgUrl`, `groups`, `role:<id>`, `name`, …). */
export interface CloudProblem {
  field: string;
  message: string;
}

export function messagesFor(problems: readonly CloudProblem[], field: string): string[] {
  return problems.filter((p) => p.field === field).map((p) => p.message);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const GOOGLE_CLIENT_SUFFIX = '.apps.googleusercontent.com';
const EXAMPLE_GUID = '8a1c6f2e-0b5d-4c1e-9f3a-2d7e6b4c1a90';

function quote(s: string): string {
  return `“${s}”`;
}

/** An optional endpoint override: empty, or https:// (http:// only for this computer). */
function endpointProblem(value: string, what: string): string | null {
  const v = value.trim();
  if (!v) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `The ${what} ${quote(v)} is not a URL. Write it like https://host/path, or leave it empty to use the standard one.`;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) return null;
  return `The ${what} must start with https:// (http:// is allowed only for an address on this computer).`;
}

function entraProblems(f: EntraForm, add: (field: string, message: string) => void): void {
  const tenant = f.tenant.trim();
  const client = f.clientId.trim();
  if (!tenant) {
    add('entra.tenant', "Enter the Directory (tenant) ID. It is on the app registration's Overview page.");
  } else if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
    add(
      'entra.tenant',
      `${quote(tenant)} is not a Directory (tenant) ID. Paste the GUID from the Overview page, like ${EXAMPLE_GUID}, ` +
        'or enter the tenant’s domain, such as contoso.onmicrosoft.com.',
    );
  }
  if (!client) {
    add('entra.clientId', "Enter the Application (client) ID. It is on the app registration's Overview page.");
  } else if (!GUID.test(client)) {
    add(
      'entra.clientId',
      client.length >= 34 && client.includes('~')
        ? 'This looks like a client secret. Roster does not need one: copy the Application (client) ID from the Overview page instead.'
        : `${quote(client)} is not an Application (client) ID. It is a GUID like ${EXAMPLE_GUID}; copy it from the Overview page.`,
    );
  } else if (client.toLowerCase() === tenant.toLowerCase()) {
    add(
      'entra.clientId',
      'The Application (client) ID is the same as the Directory (tenant) ID. They are two different GUIDs on the Overview page: check which one you copied.',
    );
  }
  const authority = endpointProblem(f.authorityUrl, 'sign-in address');
  if (authority) add('entra.authorityUrl', authority);
  const graph = endpointProblem(f.graphUrl, 'Microsoft Graph address');
  if (graph) add('entra.graphUrl', graph);
}

function googleProblems(f: GoogleForm, add: (field: string, message: string) => void): void {
  const client = f.clientId.trim();
  const secret = f.clientSecret.trim();
  if (!client) {
    add('google.clientId', `Enter the OAuth client’s Client ID. It ends with ${GOOGLE_CLIENT_SUFFIX}.`);
  } else if (!client.endsWith(GOOGLE_CLIENT_SUFFIX) || /\s/.test(client)) {
    add(
      'google.clientId',
      `The Client ID ends with ${GOOGLE_CLIENT_SUFFIX}. Copy the whole Client ID from the OAuth client’s page in the Credentials list.`,
    );
  }
  if (!secret) {
    add('google.clientSecret', 'Enter the OAuth client’s Client secret. Roster keeps it in the OS keychain.');
  } else if (secret.endsWith(GOOGLE_CLIENT_SUFFIX)) {
    add('google.clientSecret', 'This is the Client ID, not the secret. Copy the Client secret from the same page.');
  } else if (/\s/.test(secret)) {
    add('google.clientSecret', 'The Client secret has no spaces. Copy it again from the OAuth client’s page.');
  }
  const customer = f.customer.trim();
  if (customer && customer !== 'my_customer' && !/^C[0-9a-z]{5,}$/i.test(customer)) {
    add(
      'google.customer',
      `${quote(customer)} is not a customer ID. It looks like C01abc23d (Admin console > Account > Account settings); ` +
        'leave it empty to use the account of the administrator who signs in.',
    );
  }
  const domain = f.domain.trim();
  if (domain && !DOMAIN.test(domain)) {
    add('google.domain', `${quote(domain)} is not a domain name. Enter it like example.com, or leave it empty to read every domain.`);
  }
  oauthEndpointProblems('google', f, add);
}

/** Google's and Okta's optional sign-in, token and API addresses. */
function oauthEndpointProblems(
  kind: 'google' | 'okta',
  f: GoogleForm | OktaForm,
  add: (field: string, message: string) => void,
): void {
  for (const [field, what] of [
    ['authorizeUrl', 'sign-in address'],
    ['tokenUrl', 'token address'],
    ['apiUrl', 'API address'],
  ] as const) {
    const p = endpointProblem(f[field], what);
    if (p) add(`${kind}.${field}`, p);
  }
}

/** The org URL as typed, trimmed and without a trailing slash. */
export function normaliseOrgUrl(value: string): string {
  return value.trim().replace(/\/+$/, '');
}

function oktaProblems(f: OktaForm, add: (field: string, message: string) => void): void {
  const org = normaliseOrgUrl(f.orgUrl);
  const example = 'https://acme.okta.com';
  if (!org) {
    add('okta.orgUrl', `Enter your Okta org URL, for example ${example}.`);
  } else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(org)) {
    add('okta.orgUrl', `Start the org URL with https://, for example https://${org}.`);
  } else {
    let u: URL | null = null;
    try {
      u = new URL(org);
    } catch {
      add('okta.orgUrl', `${quote(org)} is not a URL. Enter it like ${example}.`);
    }
    if (u) {
      if (u.protocol !== 'https:') add('okta.orgUrl', `The org URL must start with https://, for example ${example}.`);
      else if (u.pathname !== '/' || u.search || u.hash) {
        add('okta.orgUrl', `Enter just the org URL, ${u.origin}, without the path after it.`);
      } else if (/-admin\./i.test(u.hostname)) {
        const plain = u.origin.replace(/-admin\./i, '.');
        add('okta.orgUrl', `Use the org URL without “-admin”: ${plain}, not ${u.origin}.`);
      }
    }
  }
  const client = f.clientId.trim();
  if (!client) {
    add('okta.clientId', "Enter the Client ID from the app integration's General tab.");
  } else if (!/^[A-Za-z0-9_-]+$/.test(client)) {
    add(
      'okta.clientId',
      `${quote(client)} is not a Client ID. It has only letters and digits, like 0oa1b2c3d4E5F6g7H8i9; copy it from the General tab.`,
    );
  }
  oauthEndpointProblems('okta', f, add);
}

/** Everything wrong with the vendor's fields (nothing for a demo), in the order of the form. */
export function connectionProblems(form: CloudForm): CloudProblem[] {
  const out: CloudProblem[] = [];
  const add = (field: string, message: string) => out.push({ field, message });
  if (form.demo) return out;
  if (form.kind === 'entra') entraProblems(form.entra, add);
  else if (form.kind === 'google') googleProblems(form.google, add);
  else oktaProblems(form.okta, add);
  return out;
}

// ---------- the connection_authorize spec ----------

function opt(v: string): string | undefined {
  const t = v.trim();
  return t ? t : undefined;
}

/** The demo spec: the built-in offline emulator of the vendor needs nothing else. */
export function demoConnection(kind: CloudKind): CloudConnectionSpec {
  return { kind, demo: true };
}

/**
 * The `connection` argument of `connection_authorize`, as the contract spells it. Empty optional fields are
 * left out. Does not validate: see {@link checkedConnection}.
 */
export function buildConnection(form: CloudForm): CloudConnectionSpec {
  const name = opt(form.connectionName);
  if (form.demo) return name ? { kind: form.kind, name, demo: true } : demoConnection(form.kind);
  if (form.kind === 'entra') {
    const f = form.entra;
    return withOptional<EntraConnectionSpec>(
      { kind: 'entra', tenant: f.tenant.trim(), client_id: f.clientId.trim(), cloud: f.cloud, include_guests: f.includeGuests },
      { name, authority_url: f.authorityUrl, graph_url: f.graphUrl },
    );
  }
  if (form.kind === 'google') {
    const f = form.google;
    return withOptional<GoogleConnectionSpec>(
      { kind: 'google', client_id: f.clientId.trim(), client_secret: f.clientSecret.trim() },
      {
        name,
        customer: f.customer,
        domain: f.domain,
        authorize_url: f.authorizeUrl,
        token_url: f.tokenUrl,
        api_url: f.apiUrl,
      },
    );
  }
  const f = form.okta;
  return withOptional<OktaConnectionSpec>(
    { kind: 'okta', org_url: normaliseOrgUrl(f.orgUrl), client_id: f.clientId.trim() },
    { name, authorize_url: f.authorizeUrl, token_url: f.tokenUrl, api_url: f.apiUrl },
  );
}

/** `spec` with each optional setting that is filled in (trimmed); empty ones are left out. */
function withOptional<S extends CloudConnectionSpec>(spec: S, optional: { [K in keyof S]?: string }): S {
  for (const [key, value] of Object.entries(optional) as [keyof S, string | undefined][]) {
    const v = opt(value ?? '');
    if (v) spec[key] = v as S[keyof S];
  }
  return spec;
}

/** The spec, or what is wrong with the fields. */
export function checkedConnection(form: CloudForm): { connection: CloudConnectionSpec } | { problems: CloudProblem[] } {
  const problems = connectionProblems(form);
  return problems.length ? { problems } : { connection: buildConnection(form) };
}

/**
 * Where a `validation` rejection of `connection_authorize` belongs: its message names the spec field in
 * quotes (`"client_id"`); null when it names none the form shows.
 */
export function fieldOfMessage(kind: CloudKind, message: string): string | null {
  const fields: Record<CloudKind, Record<string, string>> = {
    entra: {
      tenant: 'entra.tenant',
      client_id: 'entra.clientId',
      authority_url: 'entra.authorityUrl',
      graph_url: 'entra.graphUrl',
      name: 'connectionName',
    },
    google: {
      client_id: 'google.clientId',
      client_secret: 'google.clientSecret',
      customer: 'google.customer',
      domain: 'google.domain',
      authorize_url: 'google.authorizeUrl',
      token_url: 'google.tokenUrl',
      api_url: 'google.apiUrl',
      name: 'connectionName',
    },
    okta: {
      org_url: 'okta.orgUrl',
      client_id: 'okta.clientId',
      authorize_url: 'okta.authorizeUrl',
      token_url: 'okta.tokenUrl',
      api_url: 'okta.apiUrl',
      name: 'connectionName',
    },
  };
  for (const [key, field] of Object.entries(fields[kind])) {
    if (message.includes(`"${key}"`) || message.includes(`\`${key}\``)) return field;
  }
  return null;
}

// ---------- wizard steps ----------

export type CloudStep = 'directory' | 'app' | 'signin' | 'groups' | 'name';

/** The steps for the chosen vendor: a demo (or a saved connection) needs no app registration. */
export function cloudSteps(kind: CloudKind, skipApp: boolean): { id: CloudStep; label: string }[] {
  return [
    { id: 'directory', label: 'Directory' },
    ...(skipApp ? [] : [{ id: 'app' as const, label: CLOUD_VENDORS[kind].app }]),
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
  role: AdminRoleName | '';
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

export function setRole(groups: readonly PickedCloudGroup[], id: string, role: AdminRoleName | ''): PickedCloudGroup[] {
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
export function suggestedName(kind: CloudKind, type: SyncType): string {
  return `${CLOUD_VENDORS[kind].short} ${type === 'admin' ? 'admins' : 'users'}`;
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
  connection: Pick<ConnectionInfo, 'id'>,
  form: CloudSyncForm,
): { spec: CloudDirectorySpec } | { problems: CloudProblem[] } {
  const problems = [...groupsProblems(form.type, form.groups), ...nameProblems(form.name)];
  if (problems.length) return { problems };
  const name = form.name.trim();
  if (form.type === 'user') {
    return { spec: { name, type: 'user', connection: connection.id, groups: form.groups.map((g) => g.id) } };
  }
  const roles: Record<string, AdminRoleName> = {};
  for (const g of form.groups) if (g.role) roles[g.id] = g.role;
  return { spec: { name, type: 'admin', connection: connection.id, roles } };
}

// ---------- the first step: which directory ----------

/** The radio value of the first step: `entra`, `entra:demo`, or `saved:<connection id>`. */
export type CloudChoice = string;

export type ParsedChoice = { source: 'new'; kind: CloudKind; demo: boolean } | { source: 'saved'; id: string };

export function choiceOf(kind: CloudKind, demo: boolean): CloudChoice {
  return demo ? `${kind}:demo` : kind;
}

export function parseChoice(choice: CloudChoice): ParsedChoice | null {
  if (choice.startsWith('saved:') && choice.length > 6) return { source: 'saved', id: choice.slice(6) };
  const [kind, flag] = choice.split(':');
  if (!isCloudKind(kind) || (flag !== undefined && flag !== 'demo')) return null;
  return { source: 'new', kind, demo: flag === 'demo' };
}
