// SCIM integrations: how the list and an integration's page word what the backend answered (scim_list,
// scim_create, scim_regenerate), and the identity providers' setup steps with the integration's base URL.

import type { IssuedToken, ScimFlavor, ScimIntegration, TokenStatus } from '../backend/backend';
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

/** A setup guide: the identity provider's steps, with the integration's base URL and where the token goes. */
export interface SetupGuide {
  title: string;
  steps: string[];
}

export function setupGuides(issued: Pick<IssuedToken, 'base_url'>, flavor: ScimFlavor): SetupGuide[] {
  const okta: SetupGuide = {
    title: 'Okta',
    steps: [
      'In the Okta Admin Console, open Applications → Applications and create (or open) a SCIM 2.0 app integration.',
      'On its General tab choose Edit, set Provisioning to SCIM, and save.',
      `On the Provisioning tab → Integration, set “SCIM connector base URL” to ${issued.base_url}`,
      'Set “Unique identifier field for users” to userName.',
      'Tick Push New Users, Push Profile Updates and Push Groups; Authentication Mode: HTTP Header.',
      'Paste the bearer token into Authorization, choose Test Connector Configuration, then Save.',
      'On Provisioning → To App, enable Create Users, Update User Attributes and Deactivate Users; then assign people and push groups.',
    ],
  };
  const entra: SetupGuide = {
    title: 'Microsoft Entra ID',
    steps: [
      'In the Entra admin center, open Enterprise applications → New application → Create your own application (a non-gallery app).',
      'Open its Provisioning page and set Provisioning Mode to Automatic.',
      `Under Admin Credentials, set “Tenant URL” to ${issued.base_url}`,
      'Paste the bearer token into “Secret Token”, choose Test Connection, then Save.',
      'Under Mappings, keep userName mapped from userPrincipalName; assign users and groups on Users and groups.',
      'Set Provisioning Status to On and save; Entra ID pushes every 40 minutes or so (Provision on demand pushes one user now).',
    ],
  };
  return flavor === 'okta' ? [okta] : [entra, okta];
}
