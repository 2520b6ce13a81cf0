import { describe, expect, it } from 'vitest';
import { recorded, replay } from './backend/testing';
import { limits, loadLimits } from './limits.svelte';

/** Every component's source, to check its name inputs. */
const sources = import.meta.glob('/src/**/*.svelte', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** The name inputs: tenant, directory sync and connection names. */
const NAME_INPUTS = ['tenant-new-name', 'tenant-rename-name', 'demo-name', 'ldap-name', 'cloud-name', 'cloud-connectionName'];

describe('limits', () => {
  it('come from the backend (app_limits)', async () => {
    const answered = recorded<{ name_max: number }>('app_limits');
    expect(await loadLimits(replay())).toEqual(answered);
    expect(limits.name_max).toBe(answered.name_max);
    expect(await loadLimits({ app_limits: async () => ({ name_max: 42 }) })).toEqual({ name_max: 42 });
    expect(limits.name_max).toBe(42);
  });

  it('cap every name input, and no input has a cap of its own', () => {
    const all = Object.values(sources).join('\n');
    expect(all).not.toMatch(/maxlength="\d+"/);
    for (const id of NAME_INPUTS) {
      // The opening tags of the inputs with this id or test id.
      const tags = new Map<number, string>();
      for (const m of all.matchAll(new RegExp(`(id|data-testid)="${id}"`, 'g'))) {
        const start = all.lastIndexOf('<', m.index);
        if (all.startsWith('<input', start)) tags.set(start, all.slice(start, all.indexOf('/>', m.index)));
      }
      expect(tags.size, id).toBe(1);
      for (const tag of tags.values()) expect(tag, id).toContain('maxlength={limits.name_max}');
    }
  });
});
