// Sign-up's choice between `register` and the mailed link (registration.ts), with the SDK's own errors.
import { FinderError } from '@finder/client';
import { describe, expect, it } from 'vitest';
import { createSignUp, registersByEmail, type AccountForm } from '../src/registration.ts';

const form: AccountForm = { email: 'ada@example.com', password: 'long-enough-password', displayName: 'Ada', role: 'BUSINESS' };
const refusal = (code: string, extensions: Record<string, unknown> = {}) =>
  FinderError.fromErrors([{ message: 'refused', extensions: { code, ...extensions } }], 200);
const BY_EMAIL = () => refusal('FORBIDDEN', { reason: 'REGISTRATION_BY_EMAIL' });

/** Calls that record what sign-up asked for; `register` fails with `registerError` when given. */
function calls(registerError?: () => Error) {
  const asked: string[] = [];
  return {
    asked,
    register: async (f: AccountForm) => {
      asked.push(`register ${f.email}`);
      if (registerError) throw registerError();
    },
    startRegistration: async (email: string) => {
      asked.push(`startRegistration ${email}`);
    },
  };
}

describe('sign-up', () => {
  it('registers directly where the server allows it', async () => {
    const c = calls();
    const signUp = createSignUp(c);
    expect(await signUp.submit(form)).toBe('signed-in');
    expect(c.asked).toEqual(['register ada@example.com']);
    expect(signUp.byEmail).toBe(false);
  });

  it('switches to the mailed link when register is refused with REGISTRATION_BY_EMAIL, and stays there', async () => {
    const c = calls(BY_EMAIL);
    const signUp = createSignUp(c);
    expect(await signUp.submit(form)).toBe('mailed');
    expect(c.asked).toEqual(['register ada@example.com', 'startRegistration ada@example.com']);
    expect(signUp.byEmail).toBe(true);
    expect(await signUp.submit({ ...form, email: 'grace@example.com' })).toBe('mailed');
    expect(c.asked.slice(2)).toEqual(['startRegistration grace@example.com']);
  });

  it('shows any other refusal as it is', async () => {
    for (const error of [() => refusal('FORBIDDEN', { reason: 'SOMETHING_ELSE' }), () => refusal('CONFLICT'), () => refusal('BAD_USER_INPUT', { field: 'input.password' })]) {
      const c = calls(error);
      const signUp = createSignUp(c);
      await expect(signUp.submit(form)).rejects.toBeInstanceOf(FinderError);
      expect(c.asked).toEqual(['register ada@example.com']);
      expect(signUp.byEmail).toBe(false);
    }
    expect(registersByEmail(new Error('REGISTRATION_BY_EMAIL'))).toBe(false);
    expect(registersByEmail(BY_EMAIL())).toBe(true);
  });
});
