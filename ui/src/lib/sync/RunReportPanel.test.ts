// Renders the run report panel (server-side, no DOM needed) and checks what a reader sees:
// every change with its object, key and action, every field as "field: before → after" with "(none)"
// for a missing value, and the skipped entries with their messages.

import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import { emptyCounts, type RunReport } from '../backend/backend';
import RunReportPanel from './RunReportPanel.svelte';

const now = new Date('2026-11-28T20:35:00Z');

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    run_id: 12,
    directory_key: 'hr',
    directory_name: 'HR directory',
    trigger: 'manual',
    outcome: 'succeeded',
    started_at: '2026-11-28T20:30:00Z',
    finished_at: '2026-11-28T20:30:41Z',
    counts: { ...emptyCounts(), seen: 3, created: 1, trashed: 1, skipped: 2 },
    message: '2 changes applied.',
    changes: [
      {
        object: 'user',
        key: 'ada.chen',
        action: 'create',
        fields: [
          { field: 'realname', before: null, after: 'Ada Chen' },
          { field: 'notes', before: null, after: '' },
        ],
        reason: 'New in ad.example.',
      },
      {
        object: 'user',
        key: 'ben.okafor',
        action: 'trash',
        fields: [
          { field: 'status', before: 'active', after: 'pending deletion' },
          { field: 'purge_at', before: null, after: '2026-12-05T20:30:41Z' },
        ],
        reason: 'No longer in ad.example.',
      },
      { object: 'group', key: 'Old team', action: 'delete', fields: [{ field: 'description', before: 'Old', after: null }], reason: 'Gone.' },
    ],
    changes_total: 3,
    errors: [
      { key: 'cn=nouser', message: 'Skipped: the entry has no value for the username attribute "sAMAccountName".' },
      { key: 'dup', message: 'Skipped: another entry in this sync already matched the same Roster user.' },
    ],
    conflicts: [],
    held_reason: null,
    ...over,
  };
}

/** The visible text of the rendered HTML, tags dropped and whitespace squeezed. */
function text(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');
}

/** The text of each element whose opening tag contains `marker`, e.g. data-testid="change-row". */
function pieces(html: string, marker: string, tag: string): string[] {
  const out: string[] = [];
  let at = html.indexOf(marker);
  while (at !== -1) {
    const start = html.lastIndexOf(`<${tag}`, at);
    const end = html.indexOf(`</${tag}>`, at);
    out.push(text(html.slice(start, end)).trim());
    at = html.indexOf(marker, end);
  }
  return out;
}

describe('RunReportPanel', () => {
  it('shows each change with object, key, action and every field as before → after', () => {
    const { body } = render(RunReportPanel, { props: { report: report(), now } });
    const rows = pieces(body, 'data-testid="change-row"', 'tr');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^User ada\.chen Create /);
    expect(rows[0]).toContain('realname: (none) → Ada Chen');
    expect(rows[0]).toContain('notes: (none) → (empty)');
    expect(rows[1]).toMatch(/^User ben\.okafor Move to trash /);
    expect(rows[1]).toContain('status: active → pending deletion');
    expect(rows[1]).toContain('purge_at: (none) → 2026-12-05T20:30:41Z');
    expect(rows[2]).toMatch(/^Group Old team Delete /);
    expect(rows[2]).toContain('description: Old → (none)');
    expect(pieces(body, 'data-testid="field-change"', 'div')).toEqual([
      'realname: (none) → Ada Chen',
      'notes: (none) → (empty)',
      'status: active → pending deletion',
      'purge_at: (none) → 2026-12-05T20:30:41Z',
      'description: Old → (none)',
    ]);
  });

  it('lists skipped entries with their messages, unfolded when there are few', () => {
    const { body } = render(RunReportPanel, { props: { report: report(), now } });
    expect(pieces(body, 'data-testid="run-error"', 'li')).toEqual([
      'cn=nouser — Skipped: the entry has no value for the username attribute "sAMAccountName".',
      'dup — Skipped: another entry in this sync already matched the same Roster user.',
    ]);
    expect(text(body)).toContain('2 entries skipped or failed');
    expect(body).toMatch(/<details[^>]*data-testid="run-errors"[^>]*open/);
    const many = report({ errors: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, message: 'Skipped.' })) });
    expect(render(RunReportPanel, { props: { report: many, now } }).body).not.toMatch(/<details[^>]*\sopen/);
  });

  it('shows a failed individual run as an error state, not as "up to date"', () => {
    const message =
      'No user with the username "x" was found in the synced groups, and this sync manages no such user. Check the spelling, and that the user is in a selected group.';
    const failed = report({ trigger: 'individual', outcome: 'failed', message, changes: [], errors: [], counts: emptyCounts() });
    const { body } = render(RunReportPanel, { props: { report: failed, now } });
    const t = text(body);
    expect(body).toContain('data-outcome="failed"');
    expect(t).toContain('Individual sync failed');
    expect(t).toContain('Single user');
    expect(pieces(body, 'role="alert"', 'div')).toEqual([message]);
    expect(pieces(body, 'data-testid="no-changes"', 'p')).toEqual(['Nothing was changed.']);
    expect(t).not.toContain('everything was already up to date');
  });

  it('lists conflicts with who keeps each, and names skipped entries by DN and display name', () => {
    const r = report({
      counts: { ...emptyCounts(), seen: 3, conflicts: 2 },
      errors: [{ key: 'uid=ada,ou=people,dc=example,dc=org', name: 'Ada Chen', message: 'Skipped: no email.' }],
      conflicts: [
        {
          object: 'user',
          key: 'ben.okafor',
          other: 'DSOTHER',
          other_name: 'Contractors',
          kept: false,
          message: 'The sync "Contractors" manages this user and comes first in the order of precedence, so this sync leaves the user to it.',
        },
        {
          object: 'group',
          key: 'Sales',
          other: 'DSLATER',
          other_name: 'Later sync',
          kept: true,
          message: 'The sync "Later sync" also finds this group; this sync comes first in the order of precedence, so it keeps it.',
        },
      ],
    });
    const { body } = render(RunReportPanel, { props: { report: r, now } });
    expect(pieces(body, 'data-testid="run-conflict"', 'li')).toEqual([
      'User ben.okafor Left to “Contractors” The sync "Contractors" manages this user and comes first in the order of precedence, so this sync leaves the user to it.',
      'Group Sales Kept by this sync The sync "Later sync" also finds this group; this sync comes first in the order of precedence, so it keeps it.',
    ]);
    expect(text(body)).toContain('2 conflicts with other syncs: this sync keeps 1 and leaves 1 to syncs that come first');
    expect(pieces(body, 'data-testid="run-error"', 'li')).toEqual([
      'uid=ada,ou=people,dc=example,dc=org (Ada Chen) — Skipped: no email.',
    ]);
  });

  it('says how many more changes there are than the report carries, and offers to read them', () => {
    const many = report({ changes_total: 4321 });
    const { body } = render(RunReportPanel, { props: { report: many, now, backend: { run_changes: async () => ({ changes: [], next: null }) } } });
    expect(pieces(body, 'data-testid="more-changes"', 'div')[0]).toMatch(/^…and 4,318 more changes\. Load 1,000 more$/);
    expect(text(body)).toContain('Changes (4,321)');
    // A preview is never recorded: there is nothing to read further, and it says where to find them all.
    const preview = report({ run_id: null, outcome: 'preview', trigger: 'preview', changes_total: 1500 });
    const p = render(RunReportPanel, { props: { report: preview, now, backend: { run_changes: async () => ({ changes: [], next: null }) } } }).body;
    expect(pieces(p, 'data-testid="more-changes"', 'div')[0]).toBe(
      '…and 1,497 more changes. A preview lists the first 3; after Sync Now, the run in Sync History lists them all.',
    );
    expect(p).not.toContain('load-more-changes');
    expect(render(RunReportPanel, { props: { report: report(), now } }).body).not.toContain('more-changes');
  });
});
