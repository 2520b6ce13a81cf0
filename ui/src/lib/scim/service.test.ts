import { describe, expect, it } from 'vitest';
import type { ScimIntegration } from '../backend/backend';
import { checkScimName, setupGuides, toScimView } from './service';

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
  it('give each identity provider its steps with the base URL', () => {
    const okta = setupGuides(integration, 'okta');
    expect(okta.map((g) => g.title)).toEqual(['Okta']);
    expect(okta[0].steps.join('\n')).toContain(integration.base_url);
    const generic = setupGuides(integration, 'generic');
    expect(generic[0].title).toBe('Microsoft Entra ID');
    expect(generic[0].steps.join('\n')).toContain(`“Tenant URL” to ${integration.base_url}`);
  });
  it('need a name', () => {
    expect(checkScimName('  ')).toHaveProperty('problem');
    expect(checkScimName(' Okta ')).toEqual({ name: 'Okta' });
  });
});
