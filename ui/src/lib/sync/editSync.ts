// The sync page's edit form: what the form starts from (the backend's DirectorySummary) and the
// DirectoryPatch it sends. Only what changed is sent; every rule on the values (the interval's range, the
// threshold's, the username attribute locked after the first sync, Owner never mapped) is the backend's,
// and its message is shown as it is. This only turns form text into the patch's types.
import type { AdminRole, AttributeMap, DirectoryPatch, DirectorySummary } from '../backend/backend';
import type { PickedCloudGroup } from '../directories/cloudForm';

/** The attribute fields the form edits, in the order shown, with their labels. */
export const EDITED_ATTRIBUTES = [
  ['username', 'Username'],
  ['email', 'Email'],
  ['realname', 'Full name'],
  ['firstname', 'First name'],
  ['lastname', 'Last name'],
  ['notes', 'Notes'],
] as const;

export type EditedAttribute = (typeof EDITED_ATTRIBUTES)[number][0];

export interface SyncEdit {
  groups: PickedCloudGroup[];
  attributes: Record<EditedAttribute, string>;
  scheduled: boolean;
  /** Text, or a number (or null when empty) once a number input is bound to it. */
  interval: string | number | null;
  threshold: string | number | null;
}

/** A number field's value as text ('' when empty). */
const text = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : String(v)).trim();

/** The form for a sync as the backend has it. Saved groups are known by id until a search names them. */
export function editOf(d: DirectorySummary): SyncEdit {
  const groups: PickedCloudGroup[] =
    d.sync_type === 'admin'
      ? Object.entries(d.roles).map(([id, role]) => ({ id, name: id, member_count: null, role: role ?? '' }))
      : d.groups.map((id) => ({ id, name: id, member_count: null, role: '' }));
  const a = d.attributes;
  return {
    groups,
    attributes: {
      username: a.username,
      email: a.email ?? '',
      realname: a.realname ?? '',
      firstname: a.firstname ?? '',
      lastname: a.lastname ?? '',
      notes: a.notes ?? '',
    },
    scheduled: d.schedule !== 'paused',
    interval: String(d.interval_minutes),
    threshold: String(d.deletion_threshold_percent),
  };
}

export type PatchResult = { patch: DirectoryPatch; problem: null } | { patch: null; problem: string };

/** The patch for what changed; `groups: false` for syncs without groups (SCIM integrations are pushed to). */
export function patchOf(d: DirectorySummary, edit: SyncEdit, withGroups: boolean): PatchResult {
  const interval = Number(text(edit.interval));
  const threshold = Number(text(edit.threshold));
  if (!Number.isInteger(interval) || !Number.isInteger(threshold) || text(edit.interval) === '' || text(edit.threshold) === '') {
    return { patch: null, problem: 'Enter whole numbers: the interval in minutes, the threshold in percent.' };
  }
  const patch: DirectoryPatch = {};
  if (interval !== d.interval_minutes) patch.interval_minutes = interval;
  if (threshold !== d.deletion_threshold_percent) patch.deletion_threshold_percent = threshold;
  if (withGroups) {
    if (d.sync_type === 'admin') {
      const unset = edit.groups.find((g) => g.role === '');
      if (unset) return { patch: null, problem: `Choose a role for ${unset.name}, or remove it.` };
      const roles: Partial<Record<string, AdminRole>> = {};
      for (const g of edit.groups) roles[g.id] = g.role as AdminRole;
      if (!sameRoles(roles, d.roles)) patch.roles = roles;
    } else {
      const ids = edit.groups.map((g) => g.id);
      if (ids.join('\n') !== d.groups.join('\n')) patch.groups = ids;
    }
  }
  const attributes = attributesOf(d.attributes, edit.attributes);
  if (JSON.stringify(attributes) !== JSON.stringify(d.attributes)) patch.attributes = attributes;
  return { patch, problem: null };
}

function sameRoles(a: Partial<Record<string, AdminRole>>, b: Partial<Record<string, AdminRole>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The edited fields over the sync's mapping (aliases, phones and custom fields kept as they are). */
function attributesOf(saved: AttributeMap, edited: Record<EditedAttribute, string>): AttributeMap {
  const out: AttributeMap = { ...saved, username: edited.username.trim() };
  for (const [field] of EDITED_ATTRIBUTES) {
    if (field === 'username') continue;
    const v = edited[field].trim();
    if (v) out[field] = v;
    else delete out[field];
  }
  return out;
}

/** True when nothing would be sent. */
export function isEmpty(patch: DirectoryPatch): boolean {
  return Object.keys(patch).length === 0;
}
