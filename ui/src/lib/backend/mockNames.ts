// The mock backend's name rule, as roster_api::names::check_name words it. Only the mock uses this: the
// window asks the real backend for its cap (app_limits) and leaves the rule to it.

import type { CommandError } from './backend';

/** roster_api::names::NAME_MAX, which the real backend reports through app_limits. */
export const NAME_MAX = 100;

/** Checks a name and returns it trimmed, or throws the backend's validation error. */
export function checkName(what: string, name: unknown): string {
  const clean = (typeof name === 'string' ? name : '').trim();
  const len = [...clean].length;
  if (len === 0 || len > NAME_MAX) {
    throw { code: 'validation', message: `A ${what} name must have 1 to ${NAME_MAX} characters; this one has ${len}.` } satisfies CommandError;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(clean)) {
    throw {
      code: 'validation',
      message: `A ${what} name cannot contain control characters (tabs, line breaks, NUL). Type the name again without them.`,
    } satisfies CommandError;
  }
  return clean;
}
