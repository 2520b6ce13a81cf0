// Hash routes of the sidebar navigation (#/users, …). Hash routing needs no server support,
// which suits both the Tauri webview and `vite preview`.

export type Route = 'directories' | 'users' | 'groups' | 'admins' | 'trash' | 'history';

export interface RouteInfo {
  id: Route;
  label: string;
  testid: string;
  /** SVG path (20×20 box, stroked). */
  icon: string;
}

export const ROUTES: RouteInfo[] = [
  { id: 'directories', label: 'Directory Syncs', testid: 'nav-directories', icon: 'M3 5.5h14M3 10h14M3 14.5h14M6 3v5M14 7.5v5M9 12v5' },
  { id: 'users', label: 'Users', testid: 'nav-users', icon: 'M10 10a3.2 3.2 0 1 0 0-6.4A3.2 3.2 0 0 0 10 10Zm-6 7c.6-3 3-4.6 6-4.6s5.4 1.6 6 4.6' },
  { id: 'groups', label: 'Groups', testid: 'nav-groups', icon: 'M7 9a2.6 2.6 0 1 0 0-5.2A2.6 2.6 0 0 0 7 9Zm6.5 0a2.3 2.3 0 1 0 0-4.6M2.5 16c.5-2.6 2.3-4 4.5-4s4 1.4 4.5 4M13 12c2 0 3.9 1.2 4.5 4' },
  { id: 'admins', label: 'Administrators', testid: 'nav-admins', icon: 'M10 2.5 4 5v4.5c0 3.8 2.6 6.6 6 8 3.4-1.4 6-4.2 6-8V5l-6-2.5Zm-2.5 7.7 1.8 1.8 3.4-3.6' },
  { id: 'trash', label: 'Trash', testid: 'nav-trash', icon: 'M4 6h12M8 6V4h4v2M5.5 6l.8 10.5h7.4L14.5 6M8.5 9v5M11.5 9v5' },
  { id: 'history', label: 'Sync History', testid: 'nav-history', icon: 'M10 17a7 7 0 1 0-7-7M3 5v5h5M10 6.5V10l2.5 2' },
];

export function parseRoute(hash: string): Route {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return ROUTES.some((r) => r.id === id) ? (id as Route) : 'directories';
}
