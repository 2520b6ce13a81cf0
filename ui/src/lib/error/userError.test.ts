import { describe, expect, it } from 'vitest';
import { refusal, replay } from '../backend/testing';
import { toUserError, userMessage } from './userError';

describe('toUserError', () => {
  it('keeps the code and message of a command error', () => {
    expect(toUserError({ code: 'conflict', message: 'Already running.' })).toEqual({
      code: 'conflict',
      message: 'Already running.',
    });
  });

  it('maps an unknown code to "unknown" but keeps the message', () => {
    expect(toUserError({ code: 'weird', message: 'Odd thing.' })).toEqual({ code: 'unknown', message: 'Odd thing.' });
  });

  it('parses a JSON string error', () => {
    expect(toUserError('{"code":"not_found","message":"No such run."}')).toEqual({
      code: 'not_found',
      message: 'No such run.',
    });
  });

  it('shows a plain string as is', () => {
    expect(userMessage('The store is locked.')).toBe('The store is locked.');
  });

  it('wraps an Error and falls back for anything else', () => {
    expect(userMessage(new TypeError('x is undefined'))).toBe('Something went wrong: x is undefined');
    expect(userMessage(undefined)).toMatch(/^Something went wrong/);
    expect(userMessage({ nope: 1 })).toMatch(/^Something went wrong/);
    expect(userMessage({ code: 'validation', message: '   ' })).toMatch(/^Something went wrong/);
  });

  it('gives the backend message for a recorded rejection of the real backend', async () => {
    const err = await replay()
      .run_detail({ run_id: 999 })
      .catch((e: unknown) => e);
    expect(toUserError(err)).toEqual(refusal('run_detail', { run_id: 999 }));
    expect(userMessage(err)).toContain('999');
  });
});
