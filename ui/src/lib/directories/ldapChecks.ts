// "Test connection" in the LDAP wizard, without the UI: the backend's checks turned into display rows and one
// summary sentence, and the key that says when a test result no longer matches the settings.

import type { CheckStep, ConnectionCheck, LdapConnectionSpec } from '../backend/backend';

export const CHECK_STEP_LABELS: Record<CheckStep, string> = {
  resolve: 'Name resolution',
  connect: 'Network connection',
  tls: 'TLS certificate',
  bind: 'Sign-in (bind)',
  base_dn: 'Base DN',
  builtin: 'Built-in directory',
  settings: 'Settings',
  sign_in: 'Sign-in',
  read_groups: 'Reading groups',
};

export interface CheckRow {
  step: CheckStep;
  label: string;
  server: string;
  ok: boolean;
  /** ✓ or ✗ */
  mark: string;
  detail: string;
}

export function checkRows(checks: readonly ConnectionCheck[]): CheckRow[] {
  return checks.map((c) => ({
    step: c.step,
    label: CHECK_STEP_LABELS[c.step] ?? c.step,
    server: c.server,
    ok: c.ok,
    mark: c.ok ? '✓' : '✗',
    detail: c.detail,
  }));
}

/** The connection works when the last check passed (the test stops at the first server that passes every step). */
export function connectionWorks(checks: readonly ConnectionCheck[]): boolean {
  return checks.length > 0 && checks[checks.length - 1].ok;
}

/** One sentence above the rows. */
export function testSummary(checks: readonly ConnectionCheck[]): { ok: boolean; text: string } {
  if (checks.length === 0) return { ok: false, text: 'The test returned no checks. Check the servers and try again.' };
  const last = checks[checks.length - 1];
  if (last.ok) {
    const failed = [...new Set(checks.filter((c) => !c.ok).map((c) => c.server))];
    const after = failed.length ? ` (after ${failed.join(', ')} failed)` : '';
    return { ok: true, text: `The connection works: every check passed on ${last.server}${after}.` };
  }
  const label = CHECK_STEP_LABELS[last.step] ?? last.step;
  const servers = new Set(checks.map((c) => c.server)).size;
  const where = servers > 1 ? 'No server passed every check. The last one failed' : 'The test failed';
  return { ok: false, text: `${where} at “${label}” on ${last.server}. See the details below.` };
}

/** A stable key for "which settings were tested": the test result is stale once this changes. */
export function connectionKey(c: LdapConnectionSpec): string {
  return JSON.stringify(c);
}
