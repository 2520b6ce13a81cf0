import { describe, expect, it } from 'vitest';
import type { ConsentProgress } from '../backend/backend';
import { MockBackend } from '../backend/mock';
import { ConsentFlow, consentFailure } from './consent.svelte';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '8a1c6f2e-0b5d-4c1e-9f3a-2d7e6b4c1a90';

/** Resolves once the flow shows the waiting state (the browser "opened"). */
async function waiting(flow: ConsentFlow): Promise<void> {
  for (let i = 0; i < 200 && flow.phase !== 'waiting'; i++) await new Promise((r) => setTimeout(r, 1));
  if (flow.phase !== 'waiting') throw new Error(`never waited (phase ${flow.phase})`);
}

describe('ConsentFlow', () => {
  it('waits with the consent link, then is done with the saved connection', async () => {
    const backend = new MockBackend({ consentDelayMs: 20 });
    const flow = new ConsentFlow(() => backend);
    expect(flow.phase).toBe('idle');
    const pending = flow.authorize({ kind: 'okta', demo: true });
    expect(flow.phase).toBe('starting');
    expect(flow.busy).toBe(true);
    await waiting(flow);
    expect(flow.vendor).toBe('Okta (demo)');
    expect(flow.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/okta\/consent\?state=/);
    const connection = await pending;
    expect(flow.phase).toBe('done');
    expect(flow.busy).toBe(false);
    expect(connection).toMatchObject({ kind: 'okta', name: 'Okta (demo)', status: 'ready', config: { demo: true }, used_by: [] });
    expect(connection?.authorized_by).toBe('admin@okta-demo.example');
    expect(flow.connection?.id).toBe(connection?.id);
    expect(flow.failure).toBeNull();
  });

  it('opens the vendor’s real consent page for a real connection', async () => {
    const backend = new MockBackend();
    const seen: ConsentProgress[] = [];
    await backend.onConsentProgress((p) => seen.push(p));
    const flow = new ConsentFlow(() => backend);
    await flow.authorize({ kind: 'entra', tenant: TENANT, client_id: CLIENT, cloud: 'us_government' });
    expect(flow.phase).toBe('done');
    expect(seen).toHaveLength(1);
    expect(seen[0].vendor).toBe('Microsoft Entra ID');
    const url = new URL(seen[0].authorization_url);
    expect(url.origin + url.pathname).toBe(`https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('client_id')).toBe(CLIENT);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toContain('GroupMember.Read.All');
  });

  it('Cancel ends the wait as cancelled, and nothing is saved', async () => {
    const backend = new MockBackend({ consentDelayMs: 5_000 });
    const before = (await backend.connection_list()).length;
    const flow = new ConsentFlow(() => backend);
    const pending = flow.authorize({ kind: 'google', demo: true });
    await waiting(flow);
    await flow.cancel();
    expect(await pending).toBeNull();
    expect(flow.phase).toBe('cancelled');
    expect(flow.failure).toMatchObject({ code: 'cancelled', title: '', message: 'Sign-in cancelled. Nothing was saved.' });
    expect((await backend.connection_list()).length).toBe(before);
  });

  it('ends as timeout when nobody approves in time', async () => {
    const backend = new MockBackend({ consentTimeoutMs: 20 });
    const flow = new ConsentFlow(() => backend);
    await flow.authorize({ kind: 'okta', org_url: 'https://noanswer.okta.example', client_id: '0oa1b2c3d4E5F6g7H8i9' });
    expect(flow.phase).toBe('timeout');
    expect(flow.failure?.title).toBe('No approval arrived in time.');
    expect(flow.failure?.message).toMatch(/Sign in again and approve Roster/);
  });

  it('ends as denied when the admin declines', async () => {
    const backend = new MockBackend();
    const flow = new ConsentFlow(() => backend);
    await flow.authorize({ kind: 'entra', tenant: 'denied.onmicrosoft.example', client_id: CLIENT });
    expect(flow.phase).toBe('denied');
    expect(flow.failure).toMatchObject({ code: 'unauthorized', title: 'Roster was not approved.' });
  });

  it('ends as failed, without waiting, when a setting is refused', async () => {
    const backend = new MockBackend();
    let events = 0;
    await backend.onConsentProgress(() => events++);
    const flow = new ConsentFlow(() => backend);
    await flow.authorize({ kind: 'google', client_id: 'nope', client_secret: 's' });
    expect(flow.phase).toBe('failed');
    expect(flow.failure?.code).toBe('validation');
    expect(flow.failure?.message).toMatch(/"client_id"/);
    expect(events).toBe(0);
    flow.reset();
    expect(flow.phase).toBe('idle');
    expect(flow.failure).toBeNull();
  });

  it('reauthorizes a saved connection: it is ready again and keeps its syncs', async () => {
    const backend = new MockBackend({ consentDelayMs: 5 });
    const flow = new ConsentFlow(() => backend);
    const before = (await backend.connection_list()).find((c) => c.id === 'conn-google')!;
    expect(before.status).toBe('needs_reauthorization');
    const pending = flow.reauthorize('conn-google');
    expect(flow.target).toBe('conn-google');
    await waiting(flow);
    expect(flow.vendor).toBe('Google Workspace');
    expect(new URL(flow.url!).searchParams.get('hd')).toBe('acme.example');
    const updated = await pending;
    expect(flow.phase).toBe('done');
    expect(updated).toMatchObject({ id: 'conn-google', status: 'ready', used_by: ['Google staff'] });
    expect(updated?.authorized_at).not.toBe(before.authorized_at);
  });

  it('refuses a second sign-in while one waits, and ignores a second start of the same flow', async () => {
    const backend = new MockBackend({ consentDelayMs: 5_000 });
    const first = new ConsentFlow(() => backend);
    const second = new ConsentFlow(() => backend);
    const pending = first.authorize({ kind: 'entra', demo: true });
    await waiting(first);
    expect(await first.authorize({ kind: 'okta', demo: true })).toBeNull();
    expect(first.phase).toBe('waiting');
    await second.reauthorize('conn-okta');
    expect(second.phase).toBe('failed');
    expect(second.failure?.code).toBe('conflict');
    await first.cancel();
    await pending;
    expect(first.phase).toBe('cancelled');
  });
});

describe('consentFailure', () => {
  it('names what happened for each code', () => {
    expect(consentFailure({ code: 'timeout', message: 'm' }).phase).toBe('timeout');
    expect(consentFailure({ code: 'cancelled', message: 'm' }).phase).toBe('cancelled');
    expect(consentFailure({ code: 'unauthorized', message: 'm' }).phase).toBe('denied');
    expect(consentFailure({ code: 'validation', message: 'm' }).title).toBe('Check the settings.');
    expect(consentFailure(new Error('socket closed'))).toMatchObject({
      phase: 'failed',
      code: 'unknown',
      message: 'Something went wrong: socket closed',
    });
  });

  it('forgets how the last sign-in ended once it is for something else (another vendor)', async () => {
    const backend = new MockBackend({ consentDelayMs: 5_000 });
    const flow = new ConsentFlow(() => backend);
    flow.follow('new:entra:demo');
    const pending = flow.authorize({ kind: 'entra', demo: true });
    await waiting(flow);
    await flow.cancel();
    await pending;
    expect(flow.phase).toBe('cancelled');
    flow.follow('new:entra:demo');
    expect(flow.phase).toBe('cancelled'); // the same choice: still worth saying
    flow.follow('new:okta:demo');
    expect(flow.phase).toBe('idle');
    expect(flow.failure).toBeNull();
    expect(flow.url).toBeNull();
  });
});
