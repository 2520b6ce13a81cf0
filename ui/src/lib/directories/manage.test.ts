// On the backend's recorded answers: what deleting a sync offers for its connection, the connection trash's
// reason, which kinds the chooser offers, and the pages a path opens.
import { describe, expect, it } from 'vitest';
import type { Connection, DirectorySummary } from '../backend/backend';
import { recorded, recordedSyncs, useRecordedKinds } from '../backend/testing';
import { adminSyncPage, chooserKinds, connectionDeletable, deleteChoice, userSyncPage } from './manage';

describe('deleting a sync', () => {
  it('keeps a connection another sync shares, naming that sync', () => {
    const { user } = recordedSyncs();
    const connections = recorded<Connection[]>('connection_list');
    const choice = deleteChoice(user, connections);
    expect(choice.offerConnection).toBe(false);
    expect(choice.others).toEqual(connections[0].used_by.filter((n) => n !== user.name));
    expect(choice.others.length).toBeGreaterThan(0);
  });

  it('offers "Delete Directory Sync and Connection" for the last sync on its connection', () => {
    const { user } = recordedSyncs();
    const connections = recorded<Connection[]>('connection_list').map((c) => ({ ...c, used_by: [user.name] }));
    expect(deleteChoice(user, connections)).toMatchObject({ offerConnection: true, others: [] });
  });
});

describe('a connection trash icon', () => {
  it('is disabled while syncs use the connection, saying which', () => {
    const c = recorded<Connection[]>('connection_list')[0];
    const d = connectionDeletable(c);
    expect(d.deletable).toBe(false);
    for (const n of c.used_by) expect(d.reason).toContain(n);
  });
  it('works on an unused connection', () => {
    const c = { ...recorded<Connection[]>('connection_list')[0], used_by: [] };
    expect(connectionDeletable(c).deletable).toBe(true);
  });
});

describe('the chooser', () => {
  it('offers the kinds the registry says have user syncs, SCIM included, and only admin-sync kinds for admins', () => {
    const list = useRecordedKinds();
    const user = chooserKinds('user', list).map((k) => k.kind);
    const admin = chooserKinds('admin', list).map((k) => k.kind);
    for (const k of list.filter((x) => x.available && x.user_syncs)) expect(user).toContain(k.kind);
    for (const k of admin) expect(list.find((x) => x.kind === k)?.admin_syncs).toBe(true);
    const scim = list.find((x) => x.access === 'inbound' && x.available);
    if (scim) {
      expect(user).toContain(scim.kind);
      expect(admin).not.toContain(scim.kind);
    }
  });
});

describe('paths', () => {
  it('open tabs and pages', () => {
    const key = (recorded<DirectorySummary[]>('directory_list')[0] as DirectorySummary).directory_key;
    expect(userSyncPage([])).toEqual({ kind: 'tab', tab: 'syncs' });
    expect(userSyncPage(['integrations'])).toEqual({ kind: 'tab', tab: 'integrations' });
    expect(userSyncPage(['integrations', key])).toEqual({ kind: 'integration', key });
    expect(userSyncPage([key])).toEqual({ kind: 'sync', key });
    expect(adminSyncPage(['connections'])).toEqual({ kind: 'tab', tab: 'connections' });
    expect(adminSyncPage([key])).toEqual({ kind: 'sync', key });
  });
});
