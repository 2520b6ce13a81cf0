// The browser sign-in of a cloud connection (connection_authorize / connection_reauthorize) as a small state
// machine: idle -> starting -> waiting (the browser is open, the `consent-progress` event gave its URL)
// -> done | cancelled | timeout | denied | failed. Shared by the "Add cloud directory" wizard and the
// Reauthorize buttons of the cloud connections list.

import type { Backend, CloudConnectionSpec, Code, Connection } from '../backend/backend';
import { toUserError } from '../error/userError';

export type ConsentPhase = 'idle' | 'starting' | 'waiting' | 'done' | 'cancelled' | 'timeout' | 'denied' | 'failed';

export interface ConsentFailure {
  phase: 'cancelled' | 'timeout' | 'denied' | 'failed';
  code: Code;
  /** One short sentence: what happened ("" when the message says it all, as for a cancel). */
  title: string;
  /** The backend's plain-English message: why, and what to do next. */
  message: string;
}

/** What a rejected sign-in means for the admin. */
export function consentFailure(err: unknown): ConsentFailure {
  const { code, message } = toUserError(err);
  switch (code) {
    case 'cancelled':
      return { phase: 'cancelled', code, title: '', message };
    case 'timeout':
      return { phase: 'timeout', code, title: 'No approval arrived in time.', message };
    case 'unauthorized':
      return { phase: 'denied', code, title: 'Roster was not approved.', message };
    case 'validation':
      return { phase: 'failed', code, title: 'Check the settings.', message };
    default:
      return { phase: 'failed', code, title: 'The sign-in did not work.', message };
  }
}

export class ConsentFlow {
  phase = $state<ConsentPhase>('idle');
  /** The consent page, once the browser was opened (for "If your browser did not open…"). */
  url = $state<string | null>(null);
  /** The vendor's name as the backend gave it ("Okta (demo)"). */
  vendor = $state<string | null>(null);
  /** The saved connection, once approved. */
  connection = $state.raw<Connection | null>(null);
  failure = $state.raw<ConsentFailure | null>(null);
  /** What the running sign-in is for: a new connection, or the id being reauthorized. */
  target = $state<string | null>(null);
  cancelling = $state(false);

  /** `backend` is a getter, so a component can hand over its (unchanging) prop. */
  constructor(private readonly getBackend: () => Backend) {}

  private get backend(): Backend {
    return this.getBackend();
  }

  /** Starting, or waiting for the admin in the browser. */
  get busy(): boolean {
    return this.phase === 'starting' || this.phase === 'waiting';
  }

  /** Signs in to a new connection; resolves to the saved connection, or null (see `failure`). */
  authorize(connection: CloudConnectionSpec): Promise<Connection | null> {
    return this.run('new', () => this.backend.connection_authorize({ connection }));
  }

  /** Signs in again to a saved connection (its directory syncs are kept). */
  reauthorize(id: string): Promise<Connection | null> {
    return this.run(id, () => this.backend.connection_reauthorize({ id }));
  }

  /** Asks the backend to stop waiting; the pending sign-in then ends as `cancelled`. */
  async cancel(): Promise<void> {
    if (!this.busy || this.cancelling) return;
    this.cancelling = true;
    try {
      await this.backend.consent_cancel();
    } catch (err) {
      // The sign-in itself still ends (approved, timed out…); say why cancelling did not work meanwhile.
      this.failure = { ...consentFailure(err), phase: 'failed', title: 'Could not cancel the sign-in.' };
    } finally {
      this.cancelling = false;
    }
  }

  /** What the sign-in is for, as last followed (a vendor choice in the wizard). */
  private scope: string | null = null;

  /**
   * Follows what the sign-in is for (the wizard's vendor choice). When that changes, how the last sign-in
   * ended (cancelled, denied…) is about another vendor and is forgotten.
   */
  follow(scope: string): void {
    if (scope === this.scope) return;
    this.scope = scope;
    this.reset();
  }

  /** Back to idle (e.g. to try again with other settings). */
  reset(): void {
    if (this.busy) return;
    this.phase = 'idle';
    this.url = null;
    this.vendor = null;
    this.failure = null;
    this.target = null;
  }

  private async run(target: string, call: () => Promise<Connection>): Promise<Connection | null> {
    if (this.busy) return null;
    this.phase = 'starting';
    this.target = target;
    this.url = null;
    this.vendor = null;
    this.failure = null;
    let unlisten: (() => void) | null = null;
    try {
      unlisten = await this.backend.onConsentProgress((p) => {
        if (!this.busy || p.state !== 'waiting') return;
        this.phase = 'waiting';
        this.url = p.authorization_url;
        this.vendor = p.vendor;
      });
      const connection = await call();
      this.connection = connection;
      this.phase = 'done';
      return connection;
    } catch (err) {
      const failure = consentFailure(err);
      this.failure = failure;
      this.phase = failure.phase;
      return null;
    } finally {
      unlisten?.();
    }
  }
}
