// Hash routes (#/users, #/directories/DS…, #/admins/directory-sync, …). Hash routing needs no server support,
// which suits both the Tauri webview and `vite preview`.
//
// A route is a section (what the sidebar highlights) and the rest of the path, which the section's screen
// reads for its own pages: `#/directories/DSABC` is the sync DSABC's page in "Directory Sync";
// `#/users/DU123` a user's page.

export type Section = 'users' | 'directories' | 'groups' | 'admins' | 'admin-sync' | 'trash' | 'history' | 'settings';

export interface Route {
  section: Section;
  /** The path after the section, decoded: `['DSABC']` for `#/directories/DSABC`. */
  rest: string[];
  /** Query parameters after `?`. */
  query: URLSearchParams;
}

export interface RouteInfo {
  id: Section;
  label: string;
  testid: string;
  /** SVG path (20×20 box, stroked). */
  icon: string;
  /** Shown indented under another section, as the seed's "Users → Directory Sync". */
  parent?: Section;
}

export const ROUTES: RouteInfo[] = [
  { id: 'users', label: 'Users', testid: 'nav-users', icon: 'M10 10a3.2 3.2 0 1 0 0-6.4A3.2 3.2 0 0 0 10 10Zm-6 7c.6-3 3-4.6 6-4.6s5.4 1.6 6 4.6' },
  { id: 'directories', label: 'Directory Sync', testid: 'nav-directories', parent: 'users', icon: 'M3 5.5h14M3 10h14M3 14.5h14M6 3v5M14 7.5v5M9 12v5' },
  { id: 'groups', label: 'Groups', testid: 'nav-groups', icon: 'M7 9a2.6 2.6 0 1 0 0-5.2A2.6 2.6 0 0 0 7 9Zm6.5 0a2.3 2.3 0 1 0 0-4.6M2.5 16c.5-2.6 2.3-4 4.5-4s4 1.4 4.5 4M13 12c2 0 3.9 1.2 4.5 4' },
  { id: 'admins', label: 'Administrators', testid: 'nav-admins', icon: 'M10 2.5 4 5v4.5c0 3.8 2.6 6.6 6 8 3.4-1.4 6-4.2 6-8V5l-6-2.5Zm-2.5 7.7 1.8 1.8 3.4-3.6' },
  { id: 'admin-sync', label: 'Admin Directory Sync', testid: 'nav-admin-sync', parent: 'admins', icon: 'M3 5.5h14M3 10h14M3 14.5h14M6 3v5M14 7.5v5M9 12v5' },
  { id: 'trash', label: 'Trash', testid: 'nav-trash', icon: 'M4 6h12M8 6V4h4v2M5.5 6l.8 10.5h7.4L14.5 6M8.5 9v5M11.5 9v5' },
  { id: 'history', label: 'Sync History', testid: 'nav-history', icon: 'M10 17a7 7 0 1 0-7-7M3 5v5h5M10 6.5V10l2.5 2' },
  { id: 'settings', label: 'Settings', testid: 'nav-settings', icon: 'M10 12.6a2.6 2.6 0 1 0 0-5.2 2.6 2.6 0 0 0 0 5.2ZM10 2.5v2M10 15.5v2M2.5 10h2M15.5 10h2M4.7 4.7l1.4 1.4M13.9 13.9l1.4 1.4M4.7 15.3l1.4-1.4M13.9 6.1l1.4-1.4' },
];

/** Where a new window opens: the seed's "Manage User Sync". */
export const HOME: Section = 'directories';

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const known = ROUTES.some((r) => r.id === parts[0]);
  return {
    section: known ? (parts[0] as Section) : HOME,
    rest: known ? parts.slice(1) : [],
    query: new URLSearchParams(search),
  };
}

/** The hash for a section and the rest of its path: `href('directories', 'DSABC')` → `#/directories/DSABC`. */
export function href(section: Section, ...rest: string[]): string {
  return '#/' + [section, ...rest].map(encodeURIComponent).join('/');
}
