// Settings' display words for the generated types. Which grants exist and what they are called comes from
// the backend (`api_grants`); who may change what comes from `acting_as`. Nothing here decides a rule.

import type { ApiApplicationInfo, ApiGrantInfo, ServerStatus, ServerTls } from '../backend/backend';

/** How each TLS mode reads (exhaustive: a new Rust variant fails the type check until it is added). */
export const TLS_LABELS: Record<ServerTls, string> = {
  none: 'None (plain HTTP, this computer only)',
  generated: "Roster's own certificate (self-signed)",
  files: 'A certificate and key from files',
};
export const TLS_MODES = Object.keys(TLS_LABELS) as ServerTls[];

/** An application's grants by Duo's labels, in the order the backend offers them. */
export function grantLabels(app: Pick<ApiApplicationInfo, 'grants'>, grants: readonly ApiGrantInfo[]): string[] {
  const known = grants.filter((g) => app.grants.includes(g.name)).map((g) => g.label);
  const other = app.grants.filter((n) => !grants.some((g) => g.name === n));
  return [...known, ...other];
}

/** Host names as typed (commas or spaces between them), without blanks. */
export function parseHostNames(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The status line of the server. */
export function serverStateText(s: ServerStatus): string {
  if (s.running) return `Serving at ${s.origin}`;
  if (s.problem) return 'Not serving: it could not start';
  return 'Not serving yet: it starts with the first SCIM integration or Admin API application';
}
