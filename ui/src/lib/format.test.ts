import { describe, expect, it } from 'vitest';
import { formatAbsolute, formatAbsoluteShort, formatDate, formatDuration, formatNumber, formatRelative, listText, plural, truncateList } from './format';

const now = new Date('2026-11-28T20:35:00Z');

describe('format', () => {
  it('formats counts with thousands separators and plurals', () => {
    expect(formatNumber(12345)).toBe('12,345');
    expect(plural(1, 'user')).toBe('1 user');
    expect(plural(100000, 'user')).toBe('100,000 users');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });

  it('formats relative times in the past and future', () => {
    expect(formatRelative('2026-11-28T20:34:50Z', now)).toBe('just now');
    expect(formatRelative('2026-11-28T20:30:00Z', now)).toBe('5 minutes ago');
    expect(formatRelative('2026-11-28T18:35:00Z', now)).toBe('2 hours ago');
    expect(formatRelative('2026-11-27T20:35:00Z', now)).toBe('yesterday');
    expect(formatRelative('2026-12-01T20:35:00Z', now)).toBe('in 3 days');
    expect(formatRelative(null, now)).toBe('');
    expect(formatRelative('not a time', now)).toBe('');
  });

  it('formats absolute times', () => {
    expect(formatAbsolute('2026-11-28T20:35:00Z', 'UTC')).toBe('Nov 28, 2026, 8:35 PM');
    expect(formatAbsolute(null)).toBe('');
    expect(formatAbsoluteShort('2026-11-28T20:35:00Z', now, 'UTC')).toBe('Nov 28, 8:35 PM');
    expect(formatAbsoluteShort('2025-11-28T20:35:00Z', now, 'UTC')).toBe('Nov 28, 2025, 8:35 PM');
  });

  it('formats durations and truncated lists', () => {
    expect(formatDuration('2026-11-28T20:35:00Z', '2026-11-28T20:35:41Z')).toBe('41 s');
    expect(formatDuration('2026-11-28T20:35:00Z', '2026-11-28T20:38:05Z')).toBe('3 min 5 s');
    expect(formatDuration('2026-11-28T20:35:00Z', null)).toBe('');
    expect(truncateList(['a', 'b'])).toBe('a, b');
    expect(truncateList(['a', 'b', 'c', 'd', 'e'], 3)).toBe('a, b, c, +2 more');
  });
});

describe('formatDate', () => {
  it('shows the day only', () => {
    expect(formatDate('2026-11-28T20:35:00Z', 'UTC')).toBe('Nov 28, 2026');
    expect(formatDate(null)).toBe('');
    expect(formatDate('not a time')).toBe('not a time');
  });
});

describe('listText', () => {
  it('joins a list as a sentence does', () => {
    expect(listText([])).toBe('');
    expect(listText(['Okta'])).toBe('Okta');
    expect(listText(['Active Directory', 'OpenLDAP'])).toBe('Active Directory or OpenLDAP');
    expect(listText(['A', 'B', 'C'], 'and')).toBe('A, B and C');
  });
});
