import { describe, expect, it } from 'vitest';
import type { Backend, CommandError, Connection, ConsentProgress } from '../backend/backend';
import { recordedCalls } from '../backend/testing';
import { ConsentFlow, consentFailure } from './consent.svelte';

/** The recorded sign-in to a cloud demo: its consent-progress event and the connection it saved. */
function recordedSignIn(): { progress: ConsentProgress; connection: Connection } {
  const call = recordedCalls('connection_authorize')[0];
  const event = call.events?.find((e) => e.event === 'consent-progress');
  if (!event || event.event !== 'consent-progress') throw new Error('the recording has no consent-progress event');
  return { progress: event.payload, connection: call.ok as Connection };
}

/**
 * A backend whose sign-in waits for the test, as the real one waits for the admin in the browser: it sends
 * the recorded consent-progress event, then ends when the test approves or refuses (or Cancel is chosen).
 */
function signIn() {
  const { progress, connection } = recordedSignIn();
  const listeners = new Set<(p: ConsentProgress) => void>();
  let pending: { resolve: (c: Connection) => void; reject: (e: CommandError) => void } | null = null;
  const start = () =>
    new Promise<Connection>((resolve, reject) => {
      if (pending) return reject({ code: 'conflict', message: 'Another sign-in is waiting in the browser.' });
      pending = { resolve, reject };
      for (const h of listeners) h(progress);
    });
  const end = (f: (p: NonNullable<typeof pending>) => void) => {
    if (pending) f(pending);
    pending = null;
  };
  const backend = {
    onConsentProgress: async (h: (p: ConsentProgress) => void) => {
      listeners.add(h);
      return () => listeners.delete(h);
    },
    connection_authorize: start,
    connection_reauthorize: start,
    consent_cancel: async () => {
      end((p) => p.reject({ code: 'cancelled', message: 'Sign-in cancelled. Nothing was saved.' }));
      return null;
    },
  } as unknown as Backend;
  return {
    backend,
    progress,
    connection,
    approve: () => end((p) => p.resolve(connection)),
    refuse: (err: CommandError) => end((p) => p.reject(err)),
  };
}

/** Resolves once the flow shows the waiting state (the browser "opened"). */
async function waiting(flow: ConsentFlow): Promise<void> {
  for (let i = 0; i < 200 && flow.phase !== 'waiting'; i++) await new Promise((r) => setTimeout(r, 1));
  if (flow.phase !== 'waiting') throw new Error(`never waited (phase ${flow.phase})`);
}

describe('ConsentFlow', () => {
  it('waits with the consent link, then is done with the saved connection', async () => {
    const s = signIn();
    const flow = new ConsentFlow(() => s.backend);
    expect(flow.phase).toBe('idle');
    const pending = flow.authorize({ kind: s.connection.kind, demo: true });
    expect(flow.phase).toBe('starting');
    expect(flow.busy).toBe(true);
    await waiting(flow);
    expect(flow.vendor).toBe(s.progress.vendor);
    expect(flow.url).toBe(s.progress.authorization_url);
    s.approve();
    const connection = await pending;
    expect(flow.phase).toBe('done');
    expect(flow.busy).toBe(false);
    expect(connection).toEqual(s.connection);
    expect(flow.connection?.id).toBe(s.connection.id);
    expect(flow.failure).toBeNull();
  });

  it('Cancel ends the wait as cancelled', async () => {
    const s = signIn();
    const flow = new ConsentFlow(() => s.backend);
    const pending = flow.authorize({ kind: s.connection.kind, demo: true });
    await waiting(flow);
    await flow.cancel();
    expect(await pending).toBeNull();
    expect(flow.phase).toBe('cancelled');
    expect(flow.failure).toMatchObject({ code: 'cancelled', title: '', message: 'Sign-in cancelled. Nothing was saved.' });
  });

  it('ends as timeout when nobody approves in time, and as denied when the admin declines', async () => {
    const s = signIn();
    const flow = new ConsentFlow(() => s.backend);
    const late = flow.authorize({ kind: s.connection.kind, demo: true });
    await waiting(flow);
    s.refuse({ code: 'timeout', message: 'Nobody approved Roster within 5 minutes. Sign in again and approve Roster.' });
    await late;
    expect(flow.phase).toBe('timeout');
    expect(flow.failure?.title).toBe('No approval arrived in time.');
    expect(flow.failure?.message).toMatch(/Sign in again and approve Roster/);

    const declined = flow.authorize({ kind: s.connection.kind, demo: true });
    await waiting(flow);
    s.refuse({ code: 'unauthorized', message: 'The administrator declined.' });
    await declined;
    expect(flow.phase).toBe('denied');
    expect(flow.failure).toMatchObject({ code: 'unauthorized', title: 'Roster was not approved.' });
  });

  it('ends as failed, without waiting, when a setting is refused', async () => {
    let events = 0;
    const backend = {
      onConsentProgress: async () => {
        events++;
        return () => {};
      },
      connection_authorize: () => Promise.reject({ code: 'validation', message: 'The "client_id" is not valid.' }),
    } as unknown as Backend;
    const flow = new ConsentFlow(() => backend);
    await flow.authorize({ kind: recordedSignIn().connection.kind, client_id: 'nope' });
    expect(flow.phase).toBe('failed');
    expect(flow.failure?.code).toBe('validation');
    expect(flow.failure?.message).toMatch(/"client_id"/);
    flow.reset();
    expect(flow.phase).toBe('idle');
    expect(flow.failure).toBeNull();
    expect(events).toBe(1);
  });

  it('reauthorizes a saved connection, following it by its id', async () => {
    const s = signIn();
    const flow = new ConsentFlow(() => s.backend);
    const pending = flow.reauthorize(s.connection.id);
    expect(flow.target).toBe(s.connection.id);
    await waiting(flow);
    s.approve();
    expect(await pending).toEqual(s.connection);
    expect(flow.phase).toBe('done');
  });

  it('refuses a second sign-in while one waits, and ignores a second start of the same flow', async () => {
    const s = signIn();
    const first = new ConsentFlow(() => s.backend);
    const second = new ConsentFlow(() => s.backend);
    const pending = first.authorize({ kind: s.connection.kind, demo: true });
    await waiting(first);
    expect(await first.authorize({ kind: s.connection.kind, demo: true })).toBeNull();
    expect(first.phase).toBe('waiting');
    await second.reauthorize(s.connection.id);
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
    const s = signIn();
    const flow = new ConsentFlow(() => s.backend);
    flow.follow('a:demo');
    const pending = flow.authorize({ kind: s.connection.kind, demo: true });
    await waiting(flow);
    await flow.cancel();
    await pending;
    expect(flow.phase).toBe('cancelled');
    flow.follow('a:demo');
    expect(flow.phase).toBe('cancelled'); // the same choice: still worth saying
    flow.follow('b:demo');
    expect(flow.phase).toBe('idle');
    expect(flow.failure).toBeNull();
    expect(flow.url).toBeNull();
  });
});
