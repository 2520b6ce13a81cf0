import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionKind, ConnectionKindInfo } from '../backend/backend';
import { useRecordedKinds } from '../backend/testing';
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
  isCloudKind,
  messagesFor,
  nameProblems,
  newCloudForm,
  parseChoice,
  removeGroup,
  selectionSummary,
  setRole,
  settingsOf,
  suggestedName,
  toggleGroup,
  vendorLabel,
  type CloudForm,
  type PickedCloudGroup,
} from './cloudForm';

// What the real backend says of each kind (its registry, as recorded): the form follows it.
let kinds: ConnectionKindInfo[] = [];
beforeAll(() => {
  kinds = useRecordedKinds();
});
const info = (kind: string) => kinds.find((k) => k.kind === kind)!;
const cloud = () => kinds.filter((k) => k.access === 'cloud');

/** A form for `kind` with `values` typed in (by the registry's setting keys). */
function filled(kind: ConnectionKind, values: Record<string, string | boolean>): CloudForm {
  const f = newCloudForm(kind, false, info(kind));
  Object.assign(f.settings[kind]!, values);
  return f;
}

describe('the registry drives the form', () => {
  it('offers the kinds the registry reaches through a vendor, and each one’s settings', () => {
    expect(cloud().map((k) => k.kind)).toEqual(['entra', 'google', 'okta']);
    for (const k of cloud()) {
      expect(isCloudKind(k.kind)).toBe(true);
      expect(settingsOf(k).length).toBeGreaterThan(0);
      // A new form holds every setting at its default: empty, no, or the first choice.
      const values = newCloudForm(k.kind, false, k).settings[k.kind]!;
      expect(Object.keys(values).sort()).toEqual(settingsOf(k).map((s) => s.key).sort());
    }
    expect(isCloudKind('openldap')).toBe(false);
  });

  it('asks for the required settings left empty, in the form’s order, and nothing more', () => {
    const entra = info('entra');
    const empty = newCloudForm('entra', false, entra);
    const required = settingsOf(entra).filter((s) => s.required);
    expect(connectionProblems(empty, entra).map((p) => p.field)).toEqual(required.map((s) => s.key));
    expect(connectionProblems(empty, entra)[0].message.startsWith(`Enter the ${required[0].label}.`)).toBe(true);
    // Whether a value is right is the backend's to say.
    const typed = filled('entra', Object.fromEntries(required.map((s) => [s.key, 'anything'])));
    expect(connectionProblems(typed, entra)).toEqual([]);
  });

  it('builds the spec by the registry’s keys: trimmed, empty text left out, a flag only when set, a choice always', () => {
    const f = filled('entra', { tenant: ' contoso.onmicrosoft.com ', client_id: 'abc\n', include_guests: false, graph_url: '  ' });
    f.connectionName = ' Contoso ';
    expect(buildConnection(f, info('entra'))).toEqual({
      kind: 'entra',
      name: 'Contoso',
      tenant: 'contoso.onmicrosoft.com',
      client_id: 'abc',
      cloud: 'global',
    });
    const guests = filled('entra', { tenant: 't', client_id: 'c', include_guests: true });
    expect(buildConnection(guests, info('entra'))).toMatchObject({ include_guests: true });
    const google = filled('google', { client_id: 'id', client_secret: ' s3cret ' });
    expect(buildConnection(google, info('google'))).toEqual({ kind: 'google', client_id: 'id', client_secret: 's3cret' });
  });

  it('maps a backend validation message to the setting it names', () => {
    expect(fieldOfMessage(info('entra'), 'The Application (client) ID ("client_id") must be a GUID')).toBe('client_id');
    expect(fieldOfMessage(info('okta'), 'Give the Okta org URL ("org_url"), for example https://acme.okta.com.')).toBe('org_url');
    expect(fieldOfMessage(info('okta'), 'The connection name ("name") is too long.')).toBe('connectionName');
    expect(fieldOfMessage(info('google'), 'The connection settings are not valid.')).toBeNull();
  });
});

describe('demo connections and the first step', () => {
  it('needs nothing but the vendor for a demo', () => {
    for (const k of cloud()) {
      const f = newCloudForm(k.kind, true, k);
      expect(connectionProblems(f, k)).toEqual([]);
      expect(checkedConnection(f, k)).toEqual({ connection: { kind: k.kind, demo: true } });
      expect(demoConnection(k.kind)).toEqual({ kind: k.kind, demo: true });
    }
    const named = newCloudForm('okta', true, info('okta'));
    named.connectionName = 'Try-out';
    expect(buildConnection(named, info('okta'))).toEqual({ kind: 'okta', name: 'Try-out', demo: true });
  });

  it('checkedConnection returns the problems instead of a spec', () => {
    const built = checkedConnection(newCloudForm('okta', false, info('okta')), info('okta'));
    expect('problems' in built && built.problems[0].field).toBe('org_url');
  });

  it('encodes and parses the choice', () => {
    expect(parseChoice(choiceOf('google', false))).toEqual({ source: 'new', kind: 'google', demo: false });
    expect(parseChoice(choiceOf('okta', true))).toEqual({ source: 'new', kind: 'okta', demo: true });
    expect(parseChoice('saved:conn-okta')).toEqual({ source: 'saved', id: 'conn-okta' });
    expect(parseChoice('openldap')).toBeNull();
    expect(parseChoice('okta:real')).toBeNull();
  });

  it('names the app registration step and the demos as the registry does', () => {
    expect(cloudSteps(info('entra'), false).map((s) => s.label)).toEqual(['Directory', 'App registration', 'Sign in', 'Groups', 'Name']);
    expect(cloudSteps(info('okta'), false)[1].label).toBe(info('okta').setup?.app);
    expect(cloudSteps(info('google'), true).map((s) => s.id)).toEqual(['directory', 'signin', 'groups', 'name']);
    expect(vendorLabel(info('entra'), true)).toBe('Entra ID (demo)');
    expect(vendorLabel(info('google'), false)).toBe('Google Workspace');
  });
});

describe('the setup guides', () => {
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
    expect(suggestedName(info('entra'), 'admin')).toBe('Entra ID admins');
  });
});
