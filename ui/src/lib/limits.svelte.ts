// Limits the forms share with the backend (`app_limits`), asked once when the window opens, so a form never
// offers more than the backend accepts. Until the answer arrives the inputs have no cap; the backend still
// refuses what is too long, with its own message.

import type { AppLimits, Backend } from './backend/backend';

export const limits = $state<{ name_max: number | undefined }>({ name_max: undefined });

/** Asks the backend for its limits; the forms' `maxlength` follows. */
export async function loadLimits(backend: Pick<Backend, 'app_limits'>): Promise<AppLimits> {
  const answer = await backend.app_limits();
  limits.name_max = answer.name_max;
  return answer;
}
