// Tenant logic behind the switcher at the top of the sidebar.

import type { Backend, Tenant } from '../backend/backend';

export interface TenantsView {
  tenants: Tenant[];
  current: Tenant | null;
}

function view(tenants: Tenant[]): TenantsView {
  const sorted = [...tenants].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
  return { tenants: sorted, current: sorted.find((t) => t.current) ?? null };
}

export async function loadTenants(backend: Backend): Promise<TenantsView> {
  return view(await backend.tenant_list());
}

/** Checks a name before it is sent; returns a plain-English problem, or null when it is fine. */
export function tenantNameProblem(name: string, tenants: readonly Tenant[], selfId: string | null = null): string | null {
  const clean = name.trim();
  if (!clean) return 'Enter a name for the tenant.';
  if (tenants.some((t) => t.id !== selfId && t.name.toLowerCase() === clean.toLowerCase())) {
    return `A tenant named "${clean}" already exists.`;
  }
  return null;
}

/** Switches to a tenant and returns the refreshed list. */
export async function switchTenant(backend: Backend, id: string): Promise<TenantsView> {
  await backend.tenant_switch({ id });
  return loadTenants(backend);
}

/** Creates a tenant (tenant_create does not switch) and, by default, opens it. */
export async function createTenant(
  backend: Backend,
  name: string,
  open = true,
): Promise<{ created: Tenant; view: TenantsView }> {
  const created = await backend.tenant_create({ name: name.trim() });
  if (open) await backend.tenant_switch({ id: created.id });
  return { created, view: await loadTenants(backend) };
}

export async function renameTenant(backend: Backend, id: string, name: string): Promise<TenantsView> {
  await backend.tenant_rename({ id, name: name.trim() });
  return loadTenants(backend);
}

/** Deletes a tenant (the switcher offers every tenant but the open one: see {@link deletableTenants}). */
export async function deleteTenant(backend: Backend, id: string): Promise<TenantsView> {
  await backend.tenant_delete({ id });
  return loadTenants(backend);
}

/** Tenants that can be deleted: every one except the open tenant. */
export function deletableTenants(v: TenantsView): Tenant[] {
  return v.tenants.filter((t) => !t.current);
}
