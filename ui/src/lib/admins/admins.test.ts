// The Administrators screens, rendered (server-side) as the backend's recorded answers make them: what the
// acting role may do comes from `acting_as`; the words for custom roles are the seed's.

import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActingAs, AdminRole, CustomRole, Operator, Page } from '../backend/backend';
import { recorded, recordedCalls, refusal, replay } from '../backend/testing';
import { acting } from '../acting/acting.svelte';
import Settings from '../settings/Settings.svelte';
import Missing from './Missing.svelte';
import OperatorsList from './OperatorsList.svelte';
import Roles from './Roles.svelte';
import { DUO_ROLES, RUN_SYNCS_LABELS, managedFromValue, managedValue, rangeText, roleValue } from './service';

const props = { backend: replay(), dataVersion: 0, onerror: () => {} };
/** Who acts after the Owner viewed as the User Manager. */
const userManager = () => structuredClone(recordedCalls('acting_as').map((c) => c.ok as ActingAs).find((a) => a.role_name === 'User Manager')!);

afterEach(() => {
  acting.current = null;
});

describe('operators', () => {
  it('are listed a page at a time, searched by the backend', () => {
    const all = recorded<Page<Operator>>('operators_page', 1);
    expect(all.total).toBe(all.rows.length);
    expect(all.rows.map((o) => o.email)).toEqual(expect.arrayContaining(['uma@example.org', 'ivy@example.org']));
    const uma = recorded<Page<Operator>>('operators_page', 2);
    expect(uma.rows.map((o) => o.email)).toEqual(['uma@example.org']);
    expect(rangeText(0, uma.rows.length, uma.total)).toBe('1–1 of 1');
    expect(rangeText(0, 0, 0)).toBe('No administrators');
  });

  it('name a custom role by its name', () => {
    const ivy = recorded<Page<Operator>>('operators_page', 1).rows.find((o) => o.email === 'ivy@example.org')!;
    expect(ivy.role_name).toBe('Individual syncs (custom role)');
    expect(roleValue(ivy)).toBe('Individual syncs');
  });

  it('keep a filter by managing sync through the select', () => {
    for (const m of [{ kind: 'any' }, { kind: 'by_hand' }, { kind: 'sync', key: 'DSABC' }] as const) expect(managedFromValue(managedValue(m))).toEqual(m);
  });

  it("offer every one of Duo's roles", () => {
    const uma = recorded<Operator>('operator_get');
    expect(DUO_ROLES).toContain(uma.role as AdminRole);
    expect(DUO_ROLES[0]).toBe('Owner');
  });

  it('refuse a short passphrase, saying so', () => {
    expect(refusal('operator_set_passphrase').message).toMatch(/at least 8 characters/);
  });
});

describe('what the acting role may do', () => {
  it('lets the Owner add administrators', () => {
    acting.current = recorded<ActingAs>('acting_as', 0);
    const { body } = render(OperatorsList, { props });
    expect(body).toContain('Add administrator');
    expect(body).not.toContain('data-testid="admins-missing"');
  });

  it('tells a User Manager why they cannot', () => {
    acting.current = userManager();
    const { body } = render(OperatorsList, { props });
    expect(body).toContain('data-testid="admins-missing"');
    expect(body).toMatch(/Managing the tenant&#39;s administrators and roles needs the Owner role|Managing the tenant's administrators and roles needs the Owner role/);
  });

  it('shows the custom-role form with the seed words only to the Owner', () => {
    acting.current = recorded<ActingAs>('acting_as', 0);
    const owner = render(Roles, { props }).body;
    expect(owner).toContain('External directory configuration');
    expect(owner).toContain(RUN_SYNCS_LABELS.individual);
    expect(owner).toContain('All user syncs');
    acting.current = userManager();
    const um = render(Roles, { props }).body;
    expect(um).not.toContain('data-testid="role-form"');
    expect(um).toContain('data-testid="roles-missing"');
  });

  it("tells a User Manager why the tenant's settings are not theirs to change", () => {
    acting.current = userManager();
    const { body } = render(Settings, { props });
    expect(body).toContain('data-testid="settings-missing"');
    expect(body).toMatch(/the Owner or Administrator role/);
    expect(refusal('tenant_set_retention').code).toBe('forbidden');
  });

  it('says nothing is missing when nothing is', () => {
    expect(render(Missing, { props: { why: '' } }).body).not.toContain('missing');
  });

  it('lists the custom role the Owner created', () => {
    const roles = recorded<CustomRole[]>('role_list', 1);
    expect(roles).toEqual([{ name: 'Individual syncs', directory_config: 'none', run_syncs: 'individual' }]);
  });
});
