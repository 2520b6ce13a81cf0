// The sync page's edit form on the generated types: what it starts from (a user sync's groups, an admin
// sync's role mapping, the attribute mapping), the patch it sends (only what changed), and the editor as
// rendered: the username attribute locked after the first sync, no Owner among the roles, and every
// control disabled, with the reason, for a role that may not change the sync.

import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { Backend, DirectorySummary } from '../backend/backend';
import { editOf, isEmpty, patchOf } from './editSync';
import SyncEditor from './SyncEditor.svelte';

function sync(over: Partial<DirectorySummary> = {}): DirectorySummary {
  return {
    directory_key: 'DShr',
    name: 'HR',
    sync_type: 'user',
    connection: { id: 'c1', kind: 'openldap', name: 'ldap.example' },
    schedule: 'scheduled',
    interval_minutes: 60,
    last_full_sync: null,
    status: 'never_synced',
    last_run: null,
    user_count: 0,
    groups: ['cn=hr,ou=groups,dc=example,dc=org', 'cn=it,ou=groups,dc=example,dc=org'],
    deletion_threshold_percent: 10,
    username_attribute: 'uid',
    attributes: { username: 'uid', email: 'mail', custom: { title: 'title' } },
    roles: {},
    precedence: 1,
    conflicts: 0,
    ...over,
  };
}

const admin = () =>
  sync({
    sync_type: 'admin',
    groups: ['cn=admins → Administrator'],
    roles: { 'cn=admins,ou=groups,dc=example,dc=org': 'Administrator' },
  });

describe('editOf / patchOf', () => {
  it('sends nothing when nothing changed', () => {
    const d = sync();
    const r = patchOf(d, editOf(d), true);
    expect(r.problem).toBeNull();
    expect(r.patch && isEmpty(r.patch)).toBe(true);
  });

  it('sends only the groups, threshold and interval that changed', () => {
    const d = sync();
    const e = editOf(d);
    e.groups = e.groups.slice(1);
    e.threshold = '25';
    const r = patchOf(d, e, true);
    expect(r.patch).toEqual({ groups: ['cn=it,ou=groups,dc=example,dc=org'], deletion_threshold_percent: 25 });
  });

  it('keeps the mapping it does not edit (custom fields) and drops a field emptied', () => {
    const d = sync();
    const e = editOf(d);
    e.attributes.email = '';
    e.attributes.realname = ' cn ';
    expect(patchOf(d, e, true).patch).toEqual({ attributes: { username: 'uid', realname: 'cn', custom: { title: 'title' } } });
  });

  it('maps an admin sync’s groups to roles and asks for a role a new group lacks', () => {
    const d = admin();
    const e = editOf(d);
    expect(e.groups).toEqual([{ id: 'cn=admins,ou=groups,dc=example,dc=org', name: 'cn=admins,ou=groups,dc=example,dc=org', member_count: null, role: 'Administrator' }]);
    e.groups[0].role = 'Help Desk';
    expect(patchOf(d, e, true).patch).toEqual({ roles: { 'cn=admins,ou=groups,dc=example,dc=org': 'Help Desk' } });
    e.groups.push({ id: 'cn=ops', name: 'Ops', member_count: 4, role: '' });
    expect(patchOf(d, e, true)).toEqual({ patch: null, problem: 'Choose a role for Ops, or remove it.' });
  });

  it('leaves groups out for syncs that have none to choose', () => {
    const d = sync({ groups: [] });
    const e = editOf(d);
    e.interval = '30';
    expect(patchOf(d, e, false).patch).toEqual({ interval_minutes: 30 });
  });

  it('asks for whole numbers rather than sending text', () => {
    const d = sync();
    const e = editOf(d);
    e.interval = '';
    expect(patchOf(d, e, true).problem).toMatch(/whole numbers/);
    e.interval = null; // a number input bound and emptied
    expect(patchOf(d, e, true).problem).toMatch(/whole numbers/);
  });

  it('takes the numbers a number input binds', () => {
    const d = sync();
    const e = editOf(d);
    e.threshold = 33;
    expect(patchOf(d, e, true).patch).toEqual({ deletion_threshold_percent: 33 });
  });
});

const backend = {} as Backend;

describe('SyncEditor', () => {
  it('locks the username attribute after the first sync', () => {
    const { body } = render(SyncEditor, {
      props: { backend, directory: sync({ last_full_sync: '2026-11-28T20:30:00Z' }), mayConfigure: true, needs: 'needs the Owner role', onupdated: () => {} },
    });
    expect(body).toMatch(/data-testid="page-attr-username"[^>]*disabled|disabled[^>]*data-testid="page-attr-username"/);
    expect(body).toContain('data-testid="page-username-locked"');
    expect(body).not.toMatch(/data-testid="page-attr-email"[^>]*disabled/);
  });

  it('offers every role but Owner for an admin sync’s groups', () => {
    const { body } = render(SyncEditor, { props: { backend, directory: admin(), mayConfigure: true, needs: '', onupdated: () => {} } });
    expect(body).toContain('Role mapping');
    expect(body).toContain('data-testid="page-role"');
    expect(body).toContain('>Help Desk</option>');
    expect(body).not.toContain('>Owner</option>');
  });

  it('says why a role that may not change the sync sees it disabled', () => {
    const { body } = render(SyncEditor, { props: { backend, directory: sync(), mayConfigure: false, needs: 'needs the Owner role', onupdated: () => {} } });
    expect(body).toContain('Changing this sync needs the Owner role.');
    expect(body).toMatch(/<button[^>]*disabled[^>]*data-testid="page-settings-save"|<button[^>]*data-testid="page-settings-save"[^>]*disabled/);
  });
});
