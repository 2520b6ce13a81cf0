import { describe, expect, it } from 'vitest';
import { parseRoute, ROUTES } from './routes';

describe('routes', () => {
  it('parses hashes and falls back to Directory Syncs', () => {
    expect(parseRoute('#/users')).toBe('users');
    expect(parseRoute('#/history?x=1')).toBe('history');
    expect(parseRoute('')).toBe('directories');
    expect(parseRoute('#/nope')).toBe('directories');
  });

  it('has the nav test ids the end-to-end tests use', () => {
    expect(ROUTES.find((r) => r.id === 'users')?.testid).toBe('nav-users');
    expect(ROUTES.find((r) => r.id === 'directories')?.testid).toBe('nav-directories');
    expect(ROUTES.map((r) => r.label)).toEqual(['Directory Syncs', 'Users', 'Groups', 'Administrators', 'Trash', 'Sync History']);
  });
});
