import { beforeEach, describe, expect, it } from 'vitest';
import { MockBackend } from '../backend/mock';
import {
  createTenant,
  deletableTenants,
  deleteTenant,
  loadTenants,
  renameTenant,
  switchTenant,
  tenantNameProblem,
} from './service';
import { toUserError } from '../error/userError';

let backend: MockBackend;
beforeEach(() => {
  backend = new MockBackend();
});

describe('tenants service', () => {
  it('loads the tenants sorted by name with the open one marked', async () => {
    const v = await loadTenants(backend);
    expect(v.tenants.map((t) => t.name)).toEqual(['Acme Corp', 'Globex']);
    expect(v.current?.name).toBe('Acme Corp');
    expect(v.tenants.filter((t) => t.current)).toHaveLength(1);
  });

  it('switching changes the current tenant and what the other commands see', async () => {
    const before = await backend.directory_list();
    expect(before.map((d) => d.directory_key)).toContain('corporate-ad');
    const globex = (await loadTenants(backend)).tenants.find((t) => t.name === 'Globex')!;
    const v = await switchTenant(backend, globex.id);
    expect(v.current?.id).toBe(globex.id);
    const after = await backend.directory_list();
    expect(after.map((d) => d.directory_key)).toEqual(['globex-ldap']);
    const users = await backend.users_page({ query: '', offset: 0, limit: 10 });
    expect(users.total).toBe(0);
  });

  it('creates a tenant and opens it', async () => {
    const { created, view } = await createTenant(backend, '  Initech  ');
    expect(created.name).toBe('Initech');
    expect(view.current?.id).toBe(created.id);
    expect(view.tenants).toHaveLength(3);
  });

  it('can create without opening', async () => {
    const { view } = await createTenant(backend, 'Hooli', false);
    expect(view.current?.name).toBe('Acme Corp');
  });

  it('validates names before sending them', async () => {
    const { tenants } = await loadTenants(backend);
    expect(tenantNameProblem('', tenants)).toMatch(/Enter a name/);
    expect(tenantNameProblem('acme corp', tenants)).toMatch(/already exists/);
    expect(tenantNameProblem('Acme Corp', tenants, tenants.find((t) => t.name === 'Acme Corp')!.id)).toBeNull();
    // The length is the backend's rule (the input's maxlength comes from app_limits).
    expect(tenantNameProblem('x'.repeat(500), tenants)).toBeNull();
    expect(tenantNameProblem('Umbrella', tenants)).toBeNull();
  });

  it('renames a tenant; a duplicate name is refused with a conflict', async () => {
    const v = await loadTenants(backend);
    const acme = v.current!;
    const renamed = await renameTenant(backend, acme.id, 'Acme Inc');
    expect(renamed.current?.name).toBe('Acme Inc');
    const err = await renameTenant(backend, acme.id, 'Globex').catch((e: unknown) => e);
    expect(toUserError(err).code).toBe('conflict');
  });

  it('refuses to delete the open tenant and deletes another one', async () => {
    const v = await loadTenants(backend);
    const err = await deleteTenant(backend, v.current!.id).catch((e: unknown) => e);
    expect(toUserError(err).code).toBe('conflict');
    expect(toUserError(err).message).toMatch(/Switch to another tenant/);
    const others = deletableTenants(v);
    expect(others.map((t) => t.name)).toEqual(['Globex']);
    const after = await deleteTenant(backend, others[0].id);
    expect(after.tenants.map((t) => t.name)).toEqual(['Acme Corp']);
  });
});
