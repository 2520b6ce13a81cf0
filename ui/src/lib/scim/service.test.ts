import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { IssuedToken, ScimIntegration } from '../backend/backend';
import { checkScimName, toScimView } from './service';
import TokenReveal from './TokenReveal.svelte';

// The shape scim_list answers (roster-api's ScimIntegration, generated type).
const integration: ScimIntegration = {
  directory_key: 'DSABC',
  name: 'Okta users',
  flavor: 'okta',
  base_url: 'http://127.0.0.1:8742/scim/v2/DSABC',
  token_expires_at: '2027-01-10T00:00:00Z',
  token_status: 'expires_soon',
  token_message: 'The bearer token expires in 9 days. Regenerate it and paste the new one into Okta.',
  users: 1,
  groups: 0,
  last_push: null,
};

describe('SCIM integrations', () => {
  it('show the backend’s token warning as it is, and wait for a first push', () => {
    const v = toScimView(integration, new Date('2027-01-01T00:00:00Z'));
    expect(v.warning).toBe(integration.token_message);
    expect(v.token.tone).toBe('orange');
    expect(v.status.label).toBe('Waiting for the first push');
    expect(v.holds).toBe('1 user, 0 groups');
  });
  it('show the setup steps the backend sent with the token, the first guide open', () => {
    const issued: IssuedToken = {
      directory_key: 'DSABC',
      base_url: integration.base_url,
      token: 'roster_scim_x',
      expires_at: '2027-04-01T00:00:00Z',
      setup: [
        { title: 'Microsoft Entra ID', steps: [`Set “Tenant URL” to ${integration.base_url}`, 'Save.'] },
        { title: 'Okta', steps: ['Push groups.'] },
      ],
    };
    // Without Svelte's hydration comments.
    const body = render(TokenReveal, { props: { issued, why: 'created', onclose: () => {} } }).body.replace(/<!--[^>]*-->/g, '');
    expect([...body.matchAll(/<summary[^>]*>([^<]*)<\/summary>/g)].map((m) => m[1])).toEqual([
      'Set up Microsoft Entra ID',
      'Set up Okta',
    ]);
    expect(body).toContain(`Set “Tenant URL” to ${integration.base_url}`);
    expect(body.match(/<details[^>]*open/g)?.length).toBe(1);
  });
  it('need a name', () => {
    expect(checkScimName('  ')).toHaveProperty('problem');
    expect(checkScimName(' Okta ')).toEqual({ name: 'Okta' });
  });
});
