import { describe, expect, it } from 'vitest';
import {
  buildConnection,
  buildSyncSpec,
  checkedConnection,
  choiceOf,
  cloudSteps,
  connectionProblems,
  demoConnection,
  fieldOfMessage,
  groupsProblems,
  guideSegments,
  messagesFor,
  nameProblems,
  newCloudForm,
  parseChoice,
  removeGroup,
  selectionSummary,
  setRole,
  SETUP_GUIDES,
  suggestedName,
  toggleGroup,
  vendorLabel,
  type CloudForm,
  type PickedCloudGroup,
} from './cloudForm';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '8a1c6f2e-0b5d-4c1e-9f3a-2d7e6b4c1a90';
const GOOGLE_ID = '418250937716-k2r9v0q5mfa3b1c7d8e6g4h2j0l5n9pq.apps.googleusercontent.com';

function entra(over: Partial<CloudForm['entra']> = {}): CloudForm {
  const f = newCloudForm('entra');
  f.entra = { ...f.entra, tenant: ` ${TENANT} `, clientId: `${CLIENT}\n`, ...over };
  return f;
}

function google(over: Partial<CloudForm['google']> = {}): CloudForm {
  const f = newCloudForm('google');
  f.google = { ...f.google, clientId: GOOGLE_ID, clientSecret: ' GOCSPX-abc123 ', ...over };
  return f;
}

function okta(over: Partial<CloudForm['okta']> = {}): CloudForm {
  const f = newCloudForm('okta');
  f.okta = { ...f.okta, orgUrl: 'https://acme.okta.com/', clientId: '0oa1b2c3d4E5F6g7H8i9', ...over };
  return f;
}

const fields = (f: CloudForm) => connectionProblems(f).map((p) => p.field);
const text = (f: CloudForm) => connectionProblems(f).map((p) => p.message).join('\n');

describe('Entra ID fields', () => {
  it('accepts a tenant GUID or domain and a client GUID', () => {
    expect(connectionProblems(entra())).toEqual([]);
    expect(connectionProblems(entra({ tenant: 'contoso.onmicrosoft.com' }))).toEqual([]);
  });

  it('says which field to fix, and how', () => {
    expect(fields(entra({ tenant: '', clientId: '' }))).toEqual(['entra.tenant', 'entra.clientId']);
    expect(text(entra({ tenant: '' }))).toMatch(/Enter the Directory \(tenant\) ID\. It is on the app registration's Overview page/);
    expect(text(entra({ tenant: 'https://portal.azure.com' }))).toMatch(/is not a Directory \(tenant\) ID\. Paste the GUID/);
    expect(text(entra({ clientId: 'roster-app' }))).toMatch(/“roster-app” is not an Application \(client\) ID\. It is a GUID like/);
    expect(text(entra({ clientId: 'Xy8Q~abcdefghijklmnopqrstuvwxyz0123456789' }))).toMatch(/looks like a client secret/);
    expect(text(entra({ clientId: TENANT }))).toMatch(/same as the Directory \(tenant\) ID/);
  });

  it('checks the optional endpoints', () => {
    expect(fields(entra({ authorityUrl: 'http://login.example' }))).toEqual(['entra.authorityUrl']);
    expect(text(entra({ graphUrl: 'graph' }))).toMatch(/Microsoft Graph address “graph” is not a URL/);
    expect(connectionProblems(entra({ authorityUrl: 'http://127.0.0.1:8080', graphUrl: 'https://graph.microsoft.us' }))).toEqual([]);
  });

  it('builds the spec with the contract keys, trimmed, optional ones left out', () => {
    expect(buildConnection(entra())).toEqual({
      kind: 'entra',
      tenant: TENANT,
      client_id: CLIENT,
      cloud: 'global',
      include_guests: false,
    });
    const f = entra({ cloud: 'us_government', includeGuests: true, authorityUrl: ' https://login.microsoftonline.us ' });
    f.connectionName = ' Contoso ';
    expect(buildConnection(f)).toEqual({
      kind: 'entra',
      name: 'Contoso',
      tenant: TENANT,
      client_id: CLIENT,
      cloud: 'us_government',
      include_guests: true,
      authority_url: 'https://login.microsoftonline.us',
    });
  });
});

describe('Google Workspace fields', () => {
  it('accepts a client ID, secret and optional customer and domain', () => {
    expect(connectionProblems(google({ customer: 'C01abc23d', domain: 'example.com' }))).toEqual([]);
    expect(connectionProblems(google({ customer: 'my_customer' }))).toEqual([]);
  });

  it('says which field to fix, and how', () => {
    expect(fields(google({ clientId: '', clientSecret: '' }))).toEqual(['google.clientId', 'google.clientSecret']);
    expect(text(google({ clientId: '418250937716' }))).toMatch(/ends with \.apps\.googleusercontent\.com/);
    expect(text(google({ clientSecret: GOOGLE_ID }))).toMatch(/This is the Client ID, not the secret/);
    expect(text(google({ customer: 'acme' }))).toMatch(/“acme” is not a customer ID\. It looks like C01abc23d/);
    expect(text(google({ domain: 'not a domain' }))).toMatch(/is not a domain name/);
    expect(fields(google({ tokenUrl: 'ftp://x' }))).toEqual(['google.tokenUrl']);
  });

  it('builds the spec with the secret (for the keychain) and without empty optional fields', () => {
    expect(buildConnection(google())).toEqual({ kind: 'google', client_id: GOOGLE_ID, client_secret: 'GOCSPX-abc123' });
    expect(buildConnection(google({ domain: ' example.com ', apiUrl: 'https://admin.googleapis.com' }))).toEqual({
      kind: 'google',
      client_id: GOOGLE_ID,
      client_secret: 'GOCSPX-abc123',
      domain: 'example.com',
      api_url: 'https://admin.googleapis.com',
    });
  });
});

describe('Okta fields', () => {
  it('accepts an org URL (trailing slash dropped) and a client ID', () => {
    expect(connectionProblems(okta())).toEqual([]);
    expect(buildConnection(okta())).toEqual({ kind: 'okta', org_url: 'https://acme.okta.com', client_id: '0oa1b2c3d4E5F6g7H8i9' });
  });

  it('says which field to fix, and how', () => {
    expect(fields(okta({ orgUrl: '', clientId: '' }))).toEqual(['okta.orgUrl', 'okta.clientId']);
    expect(text(okta({ orgUrl: 'acme.okta.com' }))).toMatch(/Start the org URL with https:\/\/, for example https:\/\/acme\.okta\.com/);
    expect(text(okta({ orgUrl: 'http://acme.okta.com' }))).toMatch(/must start with https:\/\//);
    expect(text(okta({ orgUrl: 'https://acme-admin.okta.com' }))).toMatch(
      /without “-admin”: https:\/\/acme\.okta\.com, not https:\/\/acme-admin\.okta\.com/,
    );
    expect(text(okta({ orgUrl: 'https://acme.okta.com/admin/dashboard' }))).toMatch(/Enter just the org URL, https:\/\/acme\.okta\.com/);
    expect(text(okta({ clientId: '0oa 123' }))).toMatch(/is not a Client ID/);
  });
});

describe('demo connections and the first step', () => {
  it('needs nothing but the vendor for a demo', () => {
    for (const kind of ['entra', 'google', 'okta'] as const) {
      const f = newCloudForm(kind, true);
      expect(connectionProblems(f)).toEqual([]);
      expect(checkedConnection(f)).toEqual({ connection: { kind, demo: true } });
      expect(demoConnection(kind)).toEqual({ kind, demo: true });
    }
    const named = newCloudForm('okta', true);
    named.connectionName = 'Try-out';
    expect(buildConnection(named)).toEqual({ kind: 'okta', name: 'Try-out', demo: true });
  });

  it('checkedConnection returns the problems instead of a spec', () => {
    const built = checkedConnection(okta({ orgUrl: '' }));
    expect('problems' in built && built.problems[0].field).toBe('okta.orgUrl');
  });

  it('encodes and parses the choice', () => {
    expect(parseChoice(choiceOf('google', false))).toEqual({ source: 'new', kind: 'google', demo: false });
    expect(parseChoice(choiceOf('okta', true))).toEqual({ source: 'new', kind: 'okta', demo: true });
    expect(parseChoice('saved:conn-okta')).toEqual({ source: 'saved', id: 'conn-okta' });
    expect(parseChoice('ldap')).toBeNull();
    expect(parseChoice('okta:real')).toBeNull();
  });

  it('skips the app registration for demos and saved connections', () => {
    expect(cloudSteps('entra', false).map((s) => s.label)).toEqual(['Directory', 'App registration', 'Sign in', 'Groups', 'Name']);
    expect(cloudSteps('okta', false)[1].label).toBe('App integration');
    expect(cloudSteps('google', true).map((s) => s.id)).toEqual(['directory', 'signin', 'groups', 'name']);
    expect(vendorLabel('entra', true)).toBe('Entra ID (demo)');
    expect(vendorLabel('google', false)).toBe('Google Workspace');
  });

  it('maps a backend validation message to the field it names', () => {
    expect(fieldOfMessage('entra', 'The Application (client) ID ("client_id") must be a GUID')).toBe('entra.clientId');
    expect(fieldOfMessage('okta', 'Give the Okta org URL ("org_url"), for example https://acme.okta.com.')).toBe('okta.orgUrl');
    expect(fieldOfMessage('google', 'The connection settings are not valid.')).toBeNull();
  });
});

describe('the setup guides', () => {
  it('walk through the steps the brief of each vendor asks for', () => {
    const entraText = SETUP_GUIDES.entra.steps.join(' ');
    for (const s of ['New registration', 'Single tenant', 'http://localhost', 'User.Read.All', 'GroupMember.Read.All', 'Grant admin consent', 'Directory (tenant) ID']) {
      expect(entraText).toContain(s);
    }
    const googleText = SETUP_GUIDES.google.steps.join(' ');
    for (const s of ['Admin SDK API', 'Internal', 'Desktop app', 'Client secret', 'super administrator']) expect(googleText).toContain(s);
    const oktaText = SETUP_GUIDES.okta.steps.join(' ');
    for (const s of ['Native Application', 'Refresh Token', 'http://127.0.0.1/callback', 'PKCE', 'okta.users.read', 'okta.groups.read']) {
      expect(oktaText).toContain(s);
    }
  });

  it('splits a step into plain, bold and code segments', () => {
    expect(guideSegments('Choose **Register** and enter `http://localhost`.')).toEqual([
      { text: 'Choose ', style: 'plain' },
      { text: 'Register', style: 'strong' },
      { text: ' and enter ', style: 'plain' },
      { text: 'http://localhost', style: 'code' },
      { text: '.', style: 'plain' },
    ]);
  });
});

describe('groups, roles and the directory_add spec', () => {
  const eng = { external_id: '00gENG', name: 'Engineering', member_count: 455 };
  const admins = { external_id: '00gADM', name: 'Roster Admins', member_count: 6 };
  const picked = (): PickedCloudGroup[] => toggleGroup(toggleGroup([], eng), admins);

  it('toggles, removes and sets roles by opaque id', () => {
    const g = picked();
    expect(g.map((x) => x.id)).toEqual(['00gENG', '00gADM']);
    expect(toggleGroup(g, eng).map((x) => x.id)).toEqual(['00gADM']);
    expect(removeGroup(g, '00gADM').map((x) => x.name)).toEqual(['Engineering']);
    expect(setRole(g, '00gADM', 'Help Desk')[1].role).toBe('Help Desk');
    expect(selectionSummary(g)).toBe('2 groups selected, with up to 461 people.');
    expect(selectionSummary([])).toBe('');
  });

  it('builds a user sync over the saved connection id, with group ids', () => {
    expect(buildSyncSpec({ id: 'conn-okta-4' }, { name: ' Okta users ', type: 'user', groups: picked() })).toEqual({
      spec: { name: 'Okta users', type: 'user', connection: 'conn-okta-4', groups: ['00gENG', '00gADM'] },
    });
  });

  it('builds an admin sync with roles keyed by group id, once every group has a role', () => {
    const noRoles = buildSyncSpec({ id: 'c' }, { name: 'Admins', type: 'admin', groups: picked() });
    expect('problems' in noRoles && noRoles.problems.map((p) => p.field)).toEqual(['role:00gENG', 'role:00gADM']);
    const groups = setRole(setRole(picked(), '00gENG', 'Read-only'), '00gADM', 'Administrator');
    expect(buildSyncSpec({ id: 'c' }, { name: 'Admins', type: 'admin', groups })).toEqual({
      spec: { name: 'Admins', type: 'admin', connection: 'c', roles: { '00gENG': 'Read-only', '00gADM': 'Administrator' } },
    });
  });

  it('asks for groups and a name', () => {
    expect(messagesFor(groupsProblems('user', []), 'groups')[0]).toMatch(/Select at least one group to sync/);
    expect(messagesFor(groupsProblems('admin', []), 'groups')[0]).toMatch(/choose the administrator role/);
    expect(nameProblems('  ')[0].message).toBe('Enter a name for the directory sync.');
    // The length is the backend's rule (the input's maxlength comes from app_limits).
    expect(nameProblems('x'.repeat(500))).toEqual([]);
    expect(suggestedName('entra', 'admin')).toBe('Entra ID admins');
  });
});
