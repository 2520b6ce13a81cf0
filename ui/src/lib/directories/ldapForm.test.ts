import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionCheck } from '../backend/backend';
import { useRecordedKinds } from '../backend/testing';
import {
  ADMIN_ROLES,
  BIND_METHOD_LABELS,
  buildConnection,
  buildSpec,
  checkRows,
  connectionKey,
  connectionProblems,
  connectionWorks,
  defaultAttributes,
  groupsProblems,
  attributesProblems,
  memberCountText,
  newConnectionForm,
  newWizardForm,
  parseServers,
  problemsFor,
  removeGroup,
  setRole,
  stepProblems,
  testSummary,
  toggleGroup,
  usernameOptions,
  withKind,
  type ConnectionForm,
  type WizardForm,
} from './ldapForm';

// What differs between LDAP kinds (examples, username attributes, schema settings) comes from the real
// backend's registry, as recorded.
beforeAll(() => {
  useRecordedKinds();
});

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----';

function adConnection(over: Partial<ConnectionForm> = {}): ConnectionForm {
  return {
    ...newConnectionForm('active_directory'),
    servers: 'ldaps://dc1.samdom.test:636\n  ldaps://dc2.samdom.test:636  \n\n',
    transport: 'ldaps',
    caPem: `  ${PEM}\n\n`,
    bindDn: 'SAMDOM\\svc-roster',
    bindPassword: 'S3cret pass ',
    baseDn: ' DC=samdom,DC=test ',
    ...over,
  };
}

function wizard(over: Partial<WizardForm> = {}): WizardForm {
  return {
    ...newWizardForm('active_directory'),
    connection: adConnection(),
    groups: [
      { dn: 'CN=Engineering,OU=Groups,DC=samdom,DC=test', name: 'Engineering', member_count: 412, role: '' },
      { dn: 'CN=Sales,OU=Groups,DC=samdom,DC=test', name: 'Sales', member_count: 230, role: '' },
    ],
    name: '  Staff  ',
    ...over,
  };
}

const messages = (c: ConnectionForm) => connectionProblems(c).map((p) => p.message);

describe('servers', () => {
  it('splits one per line, trims and drops empty lines, keeping the failover order', () => {
    expect(parseServers(' ldaps://b:636 \n\n ldaps://a:636\r\nldaps://c ')).toEqual(['ldaps://b:636', 'ldaps://a:636', 'ldaps://c']);
    expect(parseServers('   \n ')).toEqual([]);
  });

  it('asks for at least one server', () => {
    const m = messages(adConnection({ servers: ' \n ' }));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^Enter at least one LDAP server, for example ldaps:\/\//);
    expect(problemsFor(connectionProblems(adConnection({ servers: '' })), 'servers')).toHaveLength(1);
  });

  it('refuses a server without ldap:// or ldaps://', () => {
    expect(messages(adConnection({ servers: 'dc1.samdom.test' }))).toEqual([
      'The server “dc1.samdom.test” must start with ldap:// or ldaps://, for example ldaps://dc1.samdom.test:636.',
    ]);
    expect(messages(adConnection({ servers: 'ldaps://' }))[0]).toMatch(/has no host name/);
    expect(messages(adConnection({ servers: 'ldaps://dc1:99999' }))[0]).toMatch(/port .* 1 to 65535/);
  });

  it('says when an ldaps:// server does not match the transport', () => {
    const m = messages(adConnection({ transport: 'starttls' }));
    expect(m).toHaveLength(2); // both servers
    expect(m[0]).toMatch(/^The server “ldaps:\/\/dc1\.samdom\.test:636” is an ldaps:\/\/ address, but the transport is not LDAPS/);
    expect(messages(adConnection({ transport: 'clear', bindPassword: '', bindDn: '' }))[0]).toMatch(
      /is an ldaps:\/\/ address, but the transport is not LDAPS/,
    );
    // ldap:// with LDAPS is fine: the transport decides the scheme and port.
    expect(messages(adConnection({ servers: 'ldap://dc1.samdom.test', transport: 'ldaps' }))).toEqual([]);
  });

  it('notices a server listed twice', () => {
    expect(messages(adConnection({ servers: 'ldaps://dc1:636\nLDAPS://DC1:636' }))).toEqual([
      'The server “LDAPS://DC1:636” is listed twice.',
    ]);
  });
});

describe('connection problems', () => {
  it('accepts a complete Active Directory connection', () => {
    expect(connectionProblems(adConnection())).toEqual([]);
  });

  it('refuses a password over the clear transport unless the risk is accepted', () => {
    const clear = adConnection({ servers: 'ldap://dc1.samdom.test:389', transport: 'clear' });
    const p = connectionProblems(clear);
    expect(p).toHaveLength(1);
    expect(p[0].field).toBe('allowClearPassword');
    expect(p[0].message).toMatch(/unencrypted/);
    expect(connectionProblems({ ...clear, allowClearPassword: true })).toEqual([]);
    // Anonymous binds over clear need no opt-in.
    expect(connectionProblems({ ...clear, bindDn: '', bindPassword: '' })).toEqual([]);
  });

  it('needs the password with a bind DN, and a bind DN with a password', () => {
    expect(problemsFor(connectionProblems(adConnection({ bindPassword: '' })), 'bindPassword')[0]).toMatch(/keychain/);
    expect(problemsFor(connectionProblems(adConnection({ bindDn: '  ' })), 'bindDn')[0]).toMatch(/no bind DN/);
  });

  it('needs a base DN that looks like a DN', () => {
    expect(problemsFor(connectionProblems(adConnection({ baseDn: ' ' })), 'baseDn')).toEqual([
      'Enter the base DN to search, for example DC=samdom,DC=test.',
    ]);
    expect(problemsFor(connectionProblems(adConnection({ baseDn: 'samdom.test' })), 'baseDn')[0]).toMatch(/is not a DN/);
  });

  it('checks that the CA certificate is PEM, but only when TLS is used', () => {
    expect(problemsFor(connectionProblems(adConnection({ caPem: 'MIIBszCC' })), 'caPem')[0]).toMatch(/BEGIN CERTIFICATE/);
    expect(connectionProblems(adConnection({ caPem: '' }))).toEqual([]);
  });

  it('checks the OpenLDAP advanced settings', () => {
    const ol: ConnectionForm = {
      ...newConnectionForm('openldap'),
      servers: 'ldap://ldap1.example.org',
      transport: 'starttls',
      baseDn: 'dc=example,dc=org',
      disabledValue: 'disabled',
    };
    expect(problemsFor(connectionProblems(ol), 'disabledWhen')[0]).toMatch(/Enter the attribute/);
    expect(problemsFor(connectionProblems({ ...ol, disabledAttribute: 'employee type' }), 'disabledWhen')[0]).toMatch(
      /not an LDAP attribute name/,
    );
    expect(connectionProblems({ ...ol, disabledAttribute: 'employeeType' })).toEqual([]);
    expect(problemsFor(connectionProblems({ ...ol, userObjectClass: 'inet OrgPerson' }), 'userObjectClass')).toHaveLength(1);
  });
});

describe('the connection object', () => {
  it('is built exactly as the contract says, trimmed, with empty optional fields left out', () => {
    expect(buildConnection(adConnection())).toEqual({
      kind: 'active_directory',
      servers: ['ldaps://dc1.samdom.test:636', 'ldaps://dc2.samdom.test:636'],
      transport: 'ldaps',
      ca_pem: PEM,
      verify_hostname: true,
      bind_dn: 'SAMDOM\\svc-roster',
      bind_password: 'S3cret pass ', // passwords are sent as typed
      base_dn: 'DC=samdom,DC=test',
    });
    const anonymous = buildConnection(adConnection({ caPem: ' ', bindDn: '', bindPassword: '', verifyHostname: false }));
    expect(anonymous).toEqual({
      kind: 'active_directory',
      servers: ['ldaps://dc1.samdom.test:636', 'ldaps://dc2.samdom.test:636'],
      transport: 'ldaps',
      verify_hostname: false,
      base_dn: 'DC=samdom,DC=test',
    });
    expect('ca_pem' in anonymous || 'bind_dn' in anonymous || 'bind_password' in anonymous).toBe(false);
  });

  it('sends allow_clear_password only with the clear transport, and no CA with it', () => {
    const clear = buildConnection(adConnection({ transport: 'clear', allowClearPassword: true }));
    expect(clear.allow_clear_password).toBe(true);
    expect(clear.ca_pem).toBeUndefined();
    expect('allow_clear_password' in buildConnection(adConnection({ allowClearPassword: true }))).toBe(false);
  });

  it('sends the OpenLDAP settings for OpenLDAP only', () => {
    const advanced = {
      userObjectClass: ' posixAccount ',
      groupObjectClass: 'groupOfUniqueNames',
      memberAttribute: 'uniqueMember' as const,
      disabledAttribute: 'employeeType',
      disabledValue: ' disabled ',
    };
    const ol = buildConnection({ ...adConnection(advanced), kind: 'openldap' });
    expect(ol).toMatchObject({
      kind: 'openldap',
      user_object_class: 'posixAccount',
      group_object_class: 'groupOfUniqueNames',
      member_attribute: 'uniqueMember',
      disabled_when: { attribute: 'employeeType', value: 'disabled' },
    });
    // No value: any value of the attribute means disabled.
    expect(buildConnection({ ...adConnection({ ...advanced, disabledValue: '' }), kind: 'openldap' }).disabled_when).toEqual({
      attribute: 'employeeType',
    });
    const ad = buildConnection(adConnection(advanced));
    for (const k of ['user_object_class', 'group_object_class', 'member_attribute', 'disabled_when']) {
      expect(k in ad, k).toBe(false);
    }
  });

  it('has a key that changes with any setting, so a passed test goes stale', () => {
    const a = connectionKey(buildConnection(adConnection()));
    expect(connectionKey(buildConnection(adConnection()))).toBe(a);
    expect(connectionKey(buildConnection(adConnection({ bindPassword: 'other' })))).not.toBe(a);
  });
});

describe('Kerberos sign-in', () => {
  const KERBEROS_CLEAR = 'Kerberos sign-in needs LDAPS or STARTTLS here: most directories refuse it over a clear connection.';
  // The bind DN and password the admin typed before switching stay in the form, but are never sent.
  const kerberos = (over: Partial<ConnectionForm> = {}) => adConnection({ bindMethod: 'kerberos', ...over });

  it('is offered for Active Directory and OpenLDAP, but pre-selected for neither', () => {
    expect(Object.entries(BIND_METHOD_LABELS)).toEqual([
      ['simple', 'Bind account and password'],
      ['kerberos', 'Integrated sign-in (Kerberos)'],
    ]);
    expect(newConnectionForm('active_directory').bindMethod).toBe('simple');
    expect(newConnectionForm('openldap').bindMethod).toBe('simple');
    expect(newWizardForm('openldap').connection).toMatchObject({ bindMethod: 'simple', kerberosHost: '' });
    // Switching the directory type keeps the choice.
    const f = newWizardForm('active_directory');
    f.connection.bindMethod = 'kerberos';
    expect(withKind(f, 'openldap').connection.bindMethod).toBe('kerberos');
  });

  it('sends bind_method and the trimmed kerberos_host, and never a bind DN or password', () => {
    const c = buildConnection(kerberos({ kerberosHost: '  dc1.samdom.test ' }));
    expect(c).toEqual({
      kind: 'active_directory',
      servers: ['ldaps://dc1.samdom.test:636', 'ldaps://dc2.samdom.test:636'],
      transport: 'ldaps',
      ca_pem: PEM,
      verify_hostname: true,
      bind_method: 'kerberos',
      kerberos_host: 'dc1.samdom.test',
      base_dn: 'DC=samdom,DC=test',
    });
    expect(Object.keys(c)).toEqual(['kind', 'servers', 'transport', 'ca_pem', 'verify_hostname', 'bind_method', 'kerberos_host', 'base_dn']);
    // No server name: the server's own host names the service principal.
    const plain = buildConnection(kerberos({ kerberosHost: '   ' }));
    expect(plain.bind_method).toBe('kerberos');
    expect('kerberos_host' in plain || 'bind_dn' in plain || 'bind_password' in plain).toBe(false);
    // Nothing to allow in the clear without a password.
    expect('allow_clear_password' in buildConnection(kerberos({ transport: 'clear', allowClearPassword: true }))).toBe(false);
  });

  it('leaves bind_method and kerberos_host out of a simple bind', () => {
    const c = buildConnection(adConnection({ kerberosHost: 'dc1.samdom.test' }));
    expect('bind_method' in c || 'kerberos_host' in c).toBe(false);
    expect(c).toMatchObject({ bind_dn: 'SAMDOM\\svc-roster', bind_password: 'S3cret pass ' });
  });

  it('needs LDAPS or STARTTLS', () => {
    const clear = kerberos({ servers: 'ldap://dc1.samdom.test', transport: 'clear', caPem: '' });
    expect(connectionProblems(clear)).toEqual([{ step: 'connection', field: 'transport', message: KERBEROS_CLEAR }]);
    // Ticking "allow the password in the clear" does not help: there is no password, and the sign-in is refused.
    expect(messages({ ...clear, allowClearPassword: true })).toEqual([KERBEROS_CLEAR]);
    expect(connectionProblems({ ...clear, transport: 'starttls' })).toEqual([]);
    expect(connectionProblems(kerberos())).toEqual([]);
    // A simple bind over clear keeps its own rule (and never the Kerberos message).
    expect(problemsFor(connectionProblems({ ...clear, bindMethod: 'simple' }), 'allowClearPassword')).toHaveLength(1);
    expect(messages({ ...clear, bindMethod: 'simple', bindDn: '', bindPassword: '' })).toEqual([]);
  });

  it('ignores the hidden bind DN and password, while a simple bind keeps its rules', () => {
    expect(connectionProblems(kerberos({ bindPassword: '' }))).toEqual([]);
    expect(connectionProblems(kerberos({ bindDn: '' }))).toEqual([]);
    expect(problemsFor(connectionProblems(adConnection({ bindPassword: '' })), 'bindPassword')).toHaveLength(1);
    expect(problemsFor(connectionProblems(adConnection({ bindDn: '' })), 'bindDn')).toHaveLength(1);
  });

  it('wants just a host name as the server name', () => {
    for (const host of ['ldap/dc1.samdom.test', 'ldap://dc1.samdom.test', 'dc1 samdom', 'dc1.samdom.test@SAMDOM.TEST']) {
      expect(problemsFor(connectionProblems(kerberos({ kerberosHost: host })), 'kerberosHost'), host).toHaveLength(1);
    }
    expect(problemsFor(connectionProblems(kerberos({ kerberosHost: 'ldap/dc1' })), 'kerberosHost')[0]).toMatch(
      /^Enter just the server's host name, for example dc1\.example\.org/,
    );
    expect(connectionProblems(kerberos({ kerberosHost: ' DC1.samdom.test ' }))).toEqual([]);
  });

  it('makes a passed test stale when the sign-in method or server name changes', () => {
    const simple = connectionKey(buildConnection(adConnection()));
    const k = connectionKey(buildConnection(kerberos()));
    expect(k).not.toBe(simple);
    expect(connectionKey(buildConnection(kerberos({ kerberosHost: 'dc1.samdom.test' })))).not.toBe(k);
    // The hidden password is not part of a Kerberos connection.
    expect(connectionKey(buildConnection(kerberos({ bindPassword: 'other' })))).toBe(k);
  });

  it('goes into the spec', () => {
    const built = buildSpec(wizard({ connection: kerberos({ kerberosHost: 'dc1.samdom.test' }) }));
    if (!('spec' in built)) throw new Error(JSON.stringify(built.problems));
    expect(built.spec.connection).toMatchObject({ bind_method: 'kerberos', kerberos_host: 'dc1.samdom.test' });
    expect(JSON.stringify(built.spec)).not.toContain('S3cret');
    const refused = buildSpec(wizard({ connection: kerberos({ servers: 'ldap://dc1.samdom.test', transport: 'clear' }) }));
    expect('problems' in refused && refused.problems.map((p) => p.message)).toEqual([KERBEROS_CLEAR]);
  });
});

describe('groups and roles', () => {
  const eng = { external_id: 'CN=Engineering,OU=Groups,DC=samdom,DC=test', name: 'Engineering', member_count: 412 };

  it('toggles, removes and maps groups (DNs compare case-insensitively)', () => {
    let g = toggleGroup([], eng);
    expect(g).toEqual([{ dn: eng.external_id, name: 'Engineering', member_count: 412, role: '' }]);
    expect(toggleGroup(g, { ...eng, external_id: eng.external_id.toLowerCase() })).toEqual([]);
    g = setRole(g, eng.external_id, 'Help Desk');
    expect(g[0].role).toBe('Help Desk');
    expect(removeGroup(g, eng.external_id.toUpperCase())).toEqual([]);
  });

  it('needs a group for user syncs, and a role for every group of admin syncs', () => {
    expect(groupsProblems('user', [])[0].message).toMatch(/^Select at least one group to sync/);
    expect(groupsProblems('admin', [])[0].message).toMatch(/^Select at least one group, and choose the administrator role/);
    const two = wizard().groups;
    expect(groupsProblems('user', two)).toEqual([]);
    expect(groupsProblems('admin', two).map((p) => p.message)).toEqual([
      'Choose a role for “Engineering”.',
      'Choose a role for “Sales”.',
    ]);
    expect(groupsProblems('admin', setRole(two, two[1].dn, 'Read-only')).map((p) => p.field)).toEqual([`role:${two[0].dn}`]);
  });

  it('never offers Owner', () => {
    expect(ADMIN_ROLES).not.toContain('Owner');
    expect(ADMIN_ROLES).toHaveLength(8);
    expect(ADMIN_ROLES[0]).toBe('Administrator');
  });

  it('describes member counts', () => {
    expect(memberCountText(1)).toBe('1 member');
    expect(memberCountText(1842)).toBe('1,842 members');
    expect(memberCountText(null)).toBe('Member count unknown');
  });
});

describe('attributes', () => {
  it('defaults by directory type and follows a type switch only while untouched', () => {
    expect(defaultAttributes('active_directory').username).toBe('sAMAccountName');
    expect(defaultAttributes('openldap')).toEqual({
      username: 'uid',
      email: 'mail',
      realname: 'displayName',
      firstname: 'givenName',
      lastname: 'sn',
    });
    expect(usernameOptions('active_directory').map((o) => o.value)).toEqual(['sAMAccountName', 'userPrincipalName', 'mail']);
    expect(usernameOptions('openldap').map((o) => o.value)).toEqual(['uid', 'mail']);
    const f = newWizardForm('active_directory');
    expect(withKind(f, 'openldap').attributes.username).toBe('uid');
    expect(withKind(f, 'openldap').connection.kind).toBe('openldap');
    const chosen = { ...f, attributes: { ...f.attributes, username: 'userPrincipalName' } };
    expect(withKind(chosen, 'openldap').attributes.username).toBe('userPrincipalName');
  });

  it('needs a username attribute, a name, and the email attribute for admin syncs', () => {
    const a = defaultAttributes('active_directory');
    expect(attributesProblems('user', a, 'Staff')).toEqual([]);
    expect(attributesProblems('user', { ...a, username: ' ' }, 'Staff')[0].field).toBe('username');
    expect(attributesProblems('user', { ...a, email: '' }, 'Staff')).toEqual([]);
    expect(attributesProblems('admin', { ...a, email: '' }, 'Staff')[0].message).toMatch(/^Admin syncs match administrators by email/);
    expect(attributesProblems('user', a, '  ')[0].message).toBe('Enter a name for the directory sync.');
    // The length is the backend's rule (the input's maxlength comes from app_limits).
    expect(attributesProblems('user', a, 'x'.repeat(500))).toEqual([]);
    expect(attributesProblems('user', { ...a, realname: 'display name' }, 'Staff')[0].message).toMatch(/not an LDAP attribute name/);
  });
});

describe('the spec', () => {
  it('is {name, type, connection, groups, attributes} for a user sync', () => {
    const built = buildSpec(wizard({ attributes: { ...defaultAttributes('active_directory'), firstname: ' ', lastname: '' } }));
    expect('spec' in built).toBe(true);
    if (!('spec' in built)) return;
    expect(built.spec).toEqual({
      name: 'Staff',
      type: 'user',
      connection: buildConnection(adConnection()),
      groups: ['CN=Engineering,OU=Groups,DC=samdom,DC=test', 'CN=Sales,OU=Groups,DC=samdom,DC=test'],
      attributes: { username: 'sAMAccountName', email: 'mail', realname: 'displayName' },
    });
    expect(Object.keys(built.spec)).toEqual(['name', 'type', 'connection', 'groups', 'attributes']);
  });

  it('is {name, type, connection, roles: {DN: role}, attributes} for an admin sync', () => {
    const f = wizard({ type: 'admin' });
    f.groups = setRole(setRole(f.groups, f.groups[0].dn, 'Administrator'), f.groups[1].dn, 'Read-only');
    const built = buildSpec(f);
    if (!('spec' in built)) throw new Error(JSON.stringify(built.problems));
    expect(built.spec.roles).toEqual({
      'CN=Engineering,OU=Groups,DC=samdom,DC=test': 'Administrator',
      'CN=Sales,OU=Groups,DC=samdom,DC=test': 'Read-only',
    });
    expect('groups' in built.spec).toBe(false);
    expect(Object.keys(built.spec)).toEqual(['name', 'type', 'connection', 'roles', 'attributes']);
  });

  it('refuses an admin sync without roles, and lists problems by step', () => {
    const built = buildSpec(wizard({ type: 'admin' }));
    expect('problems' in built).toBe(true);
    if (!('problems' in built)) return;
    expect(built.problems.every((p) => p.step === 'groups')).toBe(true);
    expect(built.problems[0].message).toBe('Choose a role for “Engineering”.');
    const none = buildSpec(wizard({ type: 'admin', groups: [] }));
    expect('problems' in none && none.problems[0].message).toMatch(/choose the administrator role/);
    const everything = buildSpec({ ...newWizardForm('openldap') });
    expect('problems' in everything && [...new Set(everything.problems.map((p) => p.step))]).toEqual([
      'connection',
      'groups',
      'attributes',
    ]);
    expect(stepProblems(wizard(), 'connection')).toEqual([]);
  });
});

describe('test connection rows', () => {
  const url = 'ldaps://dc1.samdom.test:636';
  const passed: ConnectionCheck[] = [
    { step: 'resolve', server: url, ok: true, detail: 'resolves to 10.0.0.5' },
    { step: 'connect', server: url, ok: true, detail: 'the port accepts connections' },
    { step: 'tls', server: url, ok: true, detail: 'the certificate is trusted; subject: CN=dc1.samdom.test; …' },
    { step: 'bind', server: url, ok: true, detail: 'bound as SAMDOM\\svc-roster' },
    { step: 'base_dn', server: url, ok: true, detail: 'DC=samdom,DC=test is readable' },
  ];

  it('names each step in plain words', () => {
    expect(checkRows(passed).map((r) => r.label)).toEqual([
      'Name resolution',
      'Network connection',
      'TLS certificate',
      'Sign-in (bind)',
      'Base DN',
    ]);
    expect(checkRows(passed)[2]).toMatchObject({ step: 'tls', server: url, ok: true, mark: '✓' });
    expect(checkRows([{ ...passed[0], ok: false }])[0].mark).toBe('✗');
  });

  it('works when the last check passed, also after failing over', () => {
    expect(connectionWorks(passed)).toBe(true);
    expect(testSummary(passed)).toEqual({ ok: true, text: `The connection works: every check passed on ${url}.` });
    const failover: ConnectionCheck[] = [
      { step: 'resolve', server: 'ldaps://dc0.samdom.test:636', ok: false, detail: 'the name does not resolve' },
      ...passed,
    ];
    expect(connectionWorks(failover)).toBe(true);
    expect(testSummary(failover).text).toMatch(/after ldaps:\/\/dc0\.samdom\.test:636 failed/);
  });

  it('fails when the last check failed, or when there are none', () => {
    const tls = [...passed.slice(0, 2), { ...passed[2], ok: false, detail: 'UnknownIssuer' }];
    expect(connectionWorks(tls)).toBe(false);
    expect(testSummary(tls)).toEqual({
      ok: false,
      text: `The test failed at “TLS certificate” on ${url}. See the details below.`,
    });
    expect(connectionWorks([])).toBe(false);
    expect(testSummary([]).ok).toBe(false);
  });
});
