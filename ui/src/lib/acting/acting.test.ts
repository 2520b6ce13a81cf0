// Who acts, as the backend answered it in the recorded session: the Owner, then the User Manager the Owner
// viewed as. The helpers only read the backend's permission list; no role rule lives here.

import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActingAs, SwitchTarget } from '../backend/backend';
import { recorded, recordedCalls, refusal, replay } from '../backend/testing';
import ActingPanel from './ActingPanel.svelte';
import { acting, actingLine, loadActing, may, whyNot } from './acting.svelte';

const owner = () => recorded<ActingAs>('acting_as', 0);
/** Who acts after the Owner viewed as the User Manager. */
const userManager = () => structuredClone(recordedCalls('acting_as').map((c) => c.ok as ActingAs).find((a) => a.role_name === 'User Manager')!);

afterEach(() => {
  acting.current = null;
});

describe('acting_as', () => {
  it('lets the Owner do everything', () => {
    const a = owner();
    expect(a.role_name).toBe('Owner');
    expect(a.refused).toEqual([]);
    expect(may('configure_admin_syncs', a)).toBe(true);
  });

  it("says why a User Manager's missing actions are missing, in the backend's words", () => {
    const a = userManager();
    expect(actingLine(a)).toBe('Uma Manager · User Manager');
    expect(may('run_user_syncs', a)).toBe(true);
    expect(may('run_admin_syncs', a)).toBe(false);
    expect(whyNot('run_admin_syncs', a)).toMatch(/needs the Owner role/);
    expect(whyNot('run_user_syncs', a)).toBe('');
  });

  it('knows nothing until the backend answered', () => {
    expect(may('view')).toBe(false);
    expect(whyNot('view')).toBe('');
  });

  it('loads who acts from the backend', async () => {
    const a = await loadActing(replay());
    expect(acting.current).toEqual(a);
    expect(a.email).toBe(owner().email);
  });
});

describe('switching', () => {
  it('offers the Owner every active administrator without a passphrase', () => {
    const targets = recorded<SwitchTarget[]>('operator_switch_targets', 0);
    expect(targets[0].current).toBe(true);
    expect(targets.map((t) => t.email)).toEqual(expect.arrayContaining(['uma@example.org', 'ivy@example.org']));
    expect(targets.some((t) => t.needs_passphrase)).toBe(false);
  });

  it('asks a User Manager for the passphrase of the administrator who has one', () => {
    const targets = recorded<SwitchTarget[]>('operator_switch_targets', 1);
    const ivy = targets.find((t) => t.email === 'ivy@example.org');
    expect(ivy?.needs_passphrase).toBe(true);
    expect(refusal('operator_switch').message).toMatch(/not ivy@example.org's passphrase/);
  });

  it('shows who acts in the sidebar', () => {
    acting.current = userManager();
    const { body } = render(ActingPanel, { props: { backend: replay(), onswitched: () => {}, onerror: () => {} } });
    expect(body).toContain('Uma Manager');
    expect(body).toContain('User Manager');
    expect(body).toContain('Switch…');
  });
});
