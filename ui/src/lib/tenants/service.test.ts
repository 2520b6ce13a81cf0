import { describe, expect, it } from 'vitest';
import type { Tenant } from '../backend/backend';
import { recorded, refusal, replay } from '../backend/testing';
import { toUserError } from '../error/userError';
import {
  createTenant,
  deletableTenants,
  deleteTenant,
  loadTenants,
  renameTenant,
  switchTenant,
  tenantNameProblem,
} from './service';

const tenant = (id: string, name: string, current = false): Tenant => ({
  id,
  name,
  current,
  created_at: '2026-11-28T09:00:00Z',
});

describe('tenants service', () => {
  it('loads the tenants sorted by name with the open one marked', async () => {
    const v = await loadTenants({ tenant_list: async () => [tenant('z', 'zeta'), tenant('a', 'Alpha', true), tenant('b', 'beta')] } as never);
    expect(v.tenants.map((t) => t.name)).toEqual(['Alpha', 'beta', 'zeta']);
    expect(v.current?.id).toBe('a');
  });

  it('creates a tenant and opens it; the tenant commands then see the new tenant', async () => {
    const backend = replay();
    const before = await loadTenants(backend);
    expect(before.current?.name).toBe('Demo');
    const { created, view } = await createTenant(backend, '  Acme Dental  ');
    expect(created.name).toBe('Acme Dental');
    expect(view.current?.id).toBe(created.id);
    expect(view.tenants.map((t) => t.name)).toEqual(['Acme Dental', 'Demo']);
    expect(await backend.directory_list()).toEqual([]);
  });

  it('passes the backend’s refusal of a name taken on', async () => {
    const backend = replay();
    await createTenant(backend, 'Acme Dental', false);
    const err = await createTenant(backend, 'Acme Dental').catch((e: unknown) => e);
    expect(toUserError(err)).toEqual(refusal('tenant_create', { name: 'Acme Dental' }));
  });

  it('switches back, renames and deletes another tenant', async () => {
    const backend = replay();
    const { created } = await createTenant(backend, 'Acme Dental');
    const demo = (await switchTenant(backend, 'demo')).current;
    expect(demo?.name).toBe('Demo');
    const renamed = await renameTenant(backend, created.id, ' Acme Dental Care ');
    expect(renamed.tenants.map((t) => t.name)).toEqual(['Acme Dental Care', 'Demo']);
    expect(deletableTenants(renamed).map((t) => t.id)).toEqual([created.id]);
    const after = await deleteTenant(backend, created.id);
    expect(after.tenants.map((t) => t.name)).toEqual(['Demo']);
  });

  it('checks names before sending them: empty, or taken (whatever the case)', () => {
    const tenants = recorded<Tenant[]>('tenant_list');
    expect(tenantNameProblem('', tenants)).toMatch(/Enter a name/);
    expect(tenantNameProblem('  demo ', tenants)).toMatch(/already exists/);
    expect(tenantNameProblem('Demo', tenants, tenants[0].id)).toBeNull();
    // The length is the backend's rule (the input's maxlength comes from app_limits).
    expect(tenantNameProblem('x'.repeat(500), tenants)).toBeNull();
  });
});

