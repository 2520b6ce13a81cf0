import { describe, expect, it } from 'vitest';
import { href, parseRoute, ROUTES } from './routes';

describe('routes', () => {
  it('parses sections, the rest of the path and the query, and falls back to Directory Sync', () => {
    expect(parseRoute('#/users').section).toBe('users');
    expect(parseRoute('#/history?x=1').section).toBe('history');
    expect(parseRoute('#/history?x=1').query.get('x')).toBe('1');
    expect(parseRoute('').section).toBe('directories');
    expect(parseRoute('#/nope/x').section).toBe('directories');
    expect(parseRoute('#/nope/x').rest).toEqual([]);
    expect(parseRoute('#/directories/DSABC/runs').rest).toEqual(['DSABC', 'runs']);
  });

  it('round-trips names with spaces and slashes', () => {
    const h = href('users', 'a b/c');
    expect(h).toBe('#/users/a%20b%2Fc');
    expect(parseRoute(h).rest).toEqual(['a b/c']);
  });

  it('has the nav test ids the end-to-end tests use, in the seed order', () => {
    expect(ROUTES.find((r) => r.id === 'users')?.testid).toBe('nav-users');
    expect(ROUTES.find((r) => r.id === 'directories')?.testid).toBe('nav-directories');
    expect(ROUTES.map((r) => r.label)).toEqual([
      'Users',
      'Directory Sync',
      'Groups',
      'Administrators',
      'Admin Directory Sync',
      'Trash',
      'Sync History',
      'Settings',
    ]);
  });
});
