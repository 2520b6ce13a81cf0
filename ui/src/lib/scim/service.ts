// SCIM integrations: how the list and an integration's page word what the backend answered (scim_list,
// scim_create, scim_regenerate). The identity providers' setup steps come with an issued token (`setup`).

import type { ScimFlavor, ScimIntegration, TokenStatus } from '../backend/backend';
import { formatAbsolute, formatRelative, type Tone } from '../format';

export const FLAVOR_LABELS: Record<ScimFlavor, string> = {
  okta: 'Okta',
  generic: 'Generic SCIM',
};

export const TOKEN_BADGES: Record<TokenStatus, { label: string; tone: Tone }> = {
  ok: { label: 'Token valid', tone: 'green' },
  expires_soon: { label: 'Token expires soon', tone: 'orange' },
  expired: { label: 'Token expired', tone: 'red' },
  no_token: { label: 'No token', tone: 'red' },
};

export interface ScimView {
  key: string;
  name: string;
  flavor: string;
  /** "Receiving pushes" once something was pushed, else "Waiting for the first push". */
  status: { label: string; tone: Tone };
  token: { label: string; tone: Tone };
  /** The backend's sentence when the token needs attention (expires in 9 days, expired…). */
  warning: string | null;
  expires: { relative: string; absolute: string } | null;
  lastPush: { relative: string; absolute: string } | null;
  holds: string;
  baseUrl: string;
}

function when(t: string | null, now: Date): { relative: string; absolute: string } | null {
  return t ? { relative: formatRelative(t, now), absolute: formatAbsolute(t) } : null;
}

export function toScimView(s: ScimIntegration, now: Date): ScimView {
  return {
    key: s.directory_key,
    name: s.name,
    flavor: FLAVOR_LABELS[s.flavor] ?? s.flavor,
    status: s.last_push ? { label: 'Receiving pushes', tone: 'green' } : { label: 'Waiting for the first push', tone: 'grey' },
    token: TOKEN_BADGES[s.token_status] ?? { label: s.token_status, tone: 'grey' },
    warning: s.token_message,
    expires: when(s.token_expires_at, now),
    lastPush: when(s.last_push, now),
    holds: `${s.users} ${s.users === 1 ? 'user' : 'users'}, ${s.groups} ${s.groups === 1 ? 'group' : 'groups'}`,
    baseUrl: s.base_url,
  };
}

/** The name a new integration must have, or what is wrong with it (the backend checks again). */
export function checkScimName(raw: string): { name: string } | { problem: string } {
  const name = raw.trim();
  return name ? { name } : { problem: 'Enter a name for the integration, such as “Okta users”.' };
}
