// Settings' server and Admin API parts, rendered (server-side) from the backend's recorded answers: the
// grants and their labels come from `api_grants`, what a role may do from `acting_as`, the server's state
// from `server_status`. No rule of the backend is repeated here.

import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActingAs, ApiApplicationInfo, ApiGrantInfo, IssuedApiKeys, ServerSetup, ServerStatus } from '../backend/backend';
import { recorded, recordedCalls, refusal, replay } from '../backend/testing';
import { acting } from '../acting/acting.svelte';
import ApiApplications from './api/ApiApplications.svelte';
import ApiTable from './api/ApiTable.svelte';
import KeysReveal from './api/KeysReveal.svelte';
import ServerFacts from './server/ServerFacts.svelte';
import ServerSection from './server/ServerSection.svelte';
import { TLS_LABELS, grantLabels, parseHostNames, serverStateText } from './service';

const actingAs = (role: string) =>
  structuredClone(recordedCalls('acting_as').map((c) => c.ok as ActingAs).find((a) => a.role_name === role)!);
const nothing = () => {};

afterEach(() => {
  acting.current = null;
});

describe('Admin API applications', () => {
  const grants = recorded<ApiGrantInfo[]>('api_grants');

  it('offer Duo six grants by their labels, as the backend names them', () => {
    expect(grants.map((g) => g.label)).toEqual([
      'Grant administrators',
      'Grant read information',
      'Grant read log',
      'Grant read resource',
      'Grant settings',
      'Grant write resource',
    ]);
  });

  it('list name, integration key, API hostname, grants, last used and created, with the Owner actions', () => {
    const apps = recorded<ApiApplicationInfo[]>('api_list', 1);
    expect(apps).toHaveLength(1);
    const app = apps[0];
    expect(app.ikey).toMatch(/^DI[A-Z0-9]{18}$/);
    expect(app.last_used).toBeNull();
    const { body } = render(ApiTable, { props: { apps, grants, canManage: true, onedit: nothing, onreset: nothing, ondelete: nothing } });
    expect(body).toContain(app.name);
    expect(body).toContain(app.ikey);
    expect(body).toContain(app.host);
    expect(body).toContain('Grant read log, Grant read resource');
    expect(body).toContain('Never');
    expect(body).toContain(`data-testid="api-reset-${app.ikey}"`);
    expect(body).toContain(`data-testid="api-delete-${app.ikey}"`);
    const readOnly = render(ApiTable, { props: { apps, grants, canManage: false, onedit: nothing, onreset: nothing, ondelete: nothing } }).body;
    expect(readOnly).not.toContain('Reset secret key');
  });

  it('show when an application was last used, once a signed request came', () => {
    const used = recorded<ApiApplicationInfo[]>('api_list', 2)[0];
    expect(used.last_used).not.toBeNull();
    const { body } = render(ApiTable, { props: { apps: [used], grants, canManage: true, onedit: nothing, onreset: nothing, ondelete: nothing } });
    expect(body).toContain(`data-last-used="${used.last_used}"`);
    expect(body).not.toContain('Never');
  });

  it('show the secret key once, with Copy and that it will not be seen again', () => {
    const keys = recorded<IssuedApiKeys>('api_create', 1); // #0 was refused: no name
    expect(keys.skey).toHaveLength(40);
    const { body } = render(KeysReveal, { props: { keys, name: 'Reports script', why: 'created', onclose: nothing } });
    expect(body).toContain(keys.skey);
    expect(body).toContain('you will not see it again');
    expect(body).toContain('Copy');
    const reset = recorded<IssuedApiKeys>('api_reset_secret');
    expect(reset.ikey).toBe(keys.ikey);
    expect(reset.skey).not.toBe(keys.skey);
    const after = render(KeysReveal, { props: { keys: reset, name: 'Reports script', why: 'reset', onclose: nothing } }).body;
    expect(after).toContain('previous secret key has stopped working');
  });

  it('name grants the backend gave by their labels, keeping any it did not list', () => {
    expect(grantLabels({ grants: ['write_resource', 'read_resource'] }, grants)).toEqual(['Grant read resource', 'Grant write resource']);
    expect(grantLabels({ grants: ['integrations'] }, grants)).toEqual(['integrations']);
  });

  it('tell a role that may not manage them why, in the backend words', () => {
    acting.current = actingAs('User Manager');
    const why = acting.current.refused.find((r) => r.permission === 'api_applications')!.why;
    const { body } = render(ApiApplications, { props: { backend: replay(), dataVersion: 0, origin: '', onerror: nothing, onserver: nothing } });
    expect(body).toContain(why);
    expect(body).not.toContain('Create an application');
    expect(refusal('api_list').code).toBe('forbidden');
  });

  it('refuse an application without a name, saying what to do', () => {
    const e = refusal('api_create');
    expect(e.code).toBe('validation');
    expect(e.message.length).toBeGreaterThan(10);
  });
});

describe('the server', () => {
  it('shows where clients reach it, where it listens and how it speaks TLS', () => {
    const status = recordedCalls('server_status').map((c) => c.ok as ServerStatus).find((s) => s.running)!;
    const { body } = render(ServerFacts, { props: { status } });
    expect(body).toContain(status.origin);
    expect(body).toContain(status.listen);
    expect(body).toContain(TLS_LABELS[status.tls]);
    expect(body).toContain('data-running="yes"');
    expect(serverStateText(status)).toBe(`Serving at ${status.origin}`);
  });

  it('says why it is not serving when it could not start', () => {
    const status: ServerStatus = { ...recorded<ServerStatus>('server_status'), running: false, problem: 'Another program is already listening on 127.0.0.1:8742.' };
    const { body } = render(ServerFacts, { props: { status } });
    expect(body).toContain('Another program is already listening');
    expect(body).toContain('data-running="no"');
  });

  it('is restarted on new settings by an Owner; bad input is refused with what to do', () => {
    const saved = recorded<ServerSetup>('server_settings');
    expect(saved.tls).toBe('none');
    const bad = refusal('server_configure', { settings: { ...saved, listen: 'localhost' } });
    expect(bad.code).toBe('validation');
    expect(bad.message).toContain('Give an IP address and a port');
    const restarted = recordedCalls('server_configure').find((c) => c.ok)!.ok as ServerStatus;
    expect(restarted.running).toBe(true);
  });

  it('tells a role that may not change it why, and still shows what it does', () => {
    acting.current = actingAs('User Manager');
    const why = acting.current.refused.find((r) => r.permission === 'server_settings')!.why;
    expect(why).toContain('Owner');
    const status = recorded<ServerStatus>('server_status');
    const { body } = render(ServerSection, { props: { backend: replay(), status, onstatus: nothing } });
    expect(body).toContain(why);
    expect(body).toContain(status.origin);
    expect(body).not.toContain('Save and restart');
  });

  it('reads host names separated by commas or spaces', () => {
    expect(parseHostNames(' roster.example.com, other.example.com  third ')).toEqual(['roster.example.com', 'other.example.com', 'third']);
    expect(parseHostNames('')).toEqual([]);
  });
});
