// The kinds of connection Roster knows (`connection_kinds`), asked once when the window opens: their names,
// how each is reached, which syncs it has, what its setup asks for. The window names no kind itself; it
// reads this registry, so a new kind needs no change here.

import type { Backend, ConnectionKind, ConnectionKindInfo, KindAccess } from './backend/backend';

export const kinds = $state<{ list: ConnectionKindInfo[] }>({ list: [] });

/** Asks the backend for its kinds. */
export async function loadKinds(backend: Pick<Backend, 'connection_kinds'>): Promise<ConnectionKindInfo[]> {
  const answer = await backend.connection_kinds();
  kinds.list = answer;
  return answer;
}

/** What the registry says of `kind`, if the window has it yet. */
export function kindInfo(kind: ConnectionKind, list: readonly ConnectionKindInfo[] = kinds.list): ConnectionKindInfo | undefined {
  return list.find((k) => k.kind === kind);
}

/** The kinds reached in one way that this version can add, in the registry's order. */
export function kindsReached(access: KindAccess, list: readonly ConnectionKindInfo[] = kinds.list): ConnectionKindInfo[] {
  return list.filter((k) => k.access === access && k.available);
}

/** A kind's name in lists ("Entra ID"), or the kind itself until the registry has arrived. */
export function shortName(kind: ConnectionKind, list: readonly ConnectionKindInfo[] = kinds.list): string {
  return kindInfo(kind, list)?.short_name ?? kind;
}
