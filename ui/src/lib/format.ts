// Small display helpers shared by the screens.

const numberFormat = new Intl.NumberFormat('en-US');

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

/** "1 user", "12,345 users". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatNumber(n)} ${n === 1 ? singular : pluralForm}`;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

const relativeFormat = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });

/** "just now", "5 minutes ago", "in 3 days". Returns "" for a missing or unreadable time. */
export function formatRelative(when: string | null, now: Date = new Date()): string {
  if (!when) return '';
  const t = Date.parse(when);
  if (Number.isNaN(t)) return '';
  const seconds = Math.round((t - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (abs >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return relativeFormat.format(Math.round(seconds / 60), 'minute');
}

/** "Nov 28, 2026, 8:35 PM" in the viewer's time zone (or the one given, for tests). */
export function formatAbsolute(when: string | null, timeZone?: string): string {
  if (!when) return '';
  const t = Date.parse(when);
  if (Number.isNaN(t)) return when;
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(t);
}

/** "Nov 28, 2026" in the viewer's time zone (or the one given, for tests). Returns "" for a missing time. */
export function formatDate(when: string | null, timeZone?: string): string {
  if (!when) return '';
  const t = Date.parse(when);
  if (Number.isNaN(t)) return when;
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone }).format(t);
}

/** Like formatAbsolute, but leaves out the year when it is the current one: "Nov 28, 8:35 PM". */
export function formatAbsoluteShort(when: string | null, now: Date = new Date(), timeZone?: string): string {
  if (!when) return '';
  const t = Date.parse(when);
  if (Number.isNaN(t)) return when;
  const year = (d: number | Date) => new Intl.DateTimeFormat('en-US', { year: 'numeric', timeZone }).format(d);
  if (year(t) !== year(now)) return formatAbsolute(when, timeZone);
  return new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone }).format(t);
}

/** How long a run took: "41 s", "3 min 5 s". */
export function formatDuration(start: string, end: string | null): string {
  if (!end) return '';
  const ms = Date.parse(end) - Date.parse(start);
  if (Number.isNaN(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

/** Shortens a comma list: "Sales, VPN users, +2 more". */
export function truncateList(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, +${items.length - max} more`;
}

/** A list in a sentence: "A", "A or B", "A, B or C". */
export function listText(items: readonly string[], conjunction = 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

export type Tone = 'green' | 'blue' | 'grey' | 'orange' | 'red' | 'accent';
