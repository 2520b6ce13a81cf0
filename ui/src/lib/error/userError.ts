// Turns whatever a rejected command (or any other failure) gives us into a message a person can read.

import { CODES, type Code, type CommandError } from '../backend/backend';

export interface UserError {
  code: Code;
  message: string;
}

const FALLBACK = 'Something went wrong. Try again; if it keeps happening, restart Roster.';

export function isCommandError(err: unknown): err is CommandError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { message?: unknown }).message === 'string' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

function asCode(code: unknown): Code {
  return typeof code === 'string' && (CODES as readonly string[]).includes(code) ? (code as Code) : 'unknown';
}

/** A rejected `{code, message}` keeps its message; anything else becomes a plain-English fallback. */
export function toUserError(err: unknown): UserError {
  if (isCommandError(err)) {
    const message = err.message.trim();
    return { code: asCode(err.code), message: message || FALLBACK };
  }
  if (typeof err === 'string') {
    const text = err.trim();
    // Some shells serialise the error object to a JSON string.
    if (text.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (isCommandError(parsed)) return toUserError(parsed);
      } catch {
        // not JSON: fall through and show the text itself
      }
    }
    return { code: 'unknown', message: text || FALLBACK };
  }
  if (err instanceof Error) {
    const detail = err.message.trim();
    return { code: 'unknown', message: detail ? `Something went wrong: ${detail}` : FALLBACK };
  }
  return { code: 'unknown', message: FALLBACK };
}

export function userMessage(err: unknown): string {
  return toUserError(err).message;
}
