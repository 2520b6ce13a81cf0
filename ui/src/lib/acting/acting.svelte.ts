// Who the window acts as in its tenant, and what they may do: the backend's `acting_as` (the permissions of
// the application layer's access table the role has, and the refusal's words for each it lacks). Screens read it to offer only
// what the role may do and to say why an action is missing; nothing here decides a permission, and the
// backend still refuses whatever the window would not offer.

import type { ActingAs, Backend, Permission } from '../backend/backend';

export const acting = $state<{ current: ActingAs | null }>({ current: null });

/** Asks the backend who acts now. */
export async function loadActing(backend: Pick<Backend, 'acting_as'>): Promise<ActingAs> {
  const a = await backend.acting_as();
  acting.current = a;
  return a;
}

/** Whether `a` (who acts now, by default) may do `p`; unknown until the backend answered. */
export function may(p: Permission, a: ActingAs | null = acting.current): boolean {
  return a?.permissions.includes(p) ?? false;
}

/** Why `a` may not do `p`, in the backend's words; empty when it may (or until the backend answered). */
export function whyNot(p: Permission, a: ActingAs | null = acting.current): string {
  return a?.refused.find((r) => r.permission === p)?.why ?? '';
}

/** The sidebar's line: "Name · Role". */
export function actingLine(a: ActingAs): string {
  return `${a.name} · ${a.role_name}`;
}
