import { FinderError } from '@finder/client';
import type { Role } from './types.ts';

export interface AccountForm {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

export interface SignUpCalls {
  /** Creates the account and signs in (refused where the server registers by email). */
  register(form: AccountForm): Promise<unknown>;
  /** Mails the email a link to finish creating the account (or a note that it already has one). */
  startRegistration(email: string): Promise<unknown>;
}

/** `register` refused because this server registers by email (REGISTRATION=email): startRegistration is the way. */
export const registersByEmail = (err: unknown): boolean =>
  err instanceof FinderError && err.code === 'FORBIDDEN' && err.reason === 'REGISTRATION_BY_EMAIL';

/** Where a new account lands: a professional starts with their profile; a mailed registration link has verified the email. */
export const welcomePath = (role: Role, emailVerified = false): string =>
  `${role === 'PROFESSIONAL' ? '/profile' : '/search'}?welcome=${emailVerified ? 'verified' : '1'}`;

/**
 * Sign-up: `register` while the server takes it; once refused with REGISTRATION_BY_EMAIL, the mailed
 * link instead, and from then on straight away. Whether the email has an account never shows: the
 * server answers startRegistration alike either way, and so does this.
 */
export function createSignUp(calls: SignUpCalls) {
  let byEmail = false;
  return {
    /** The server is known to register by email: the form only needs the email. */
    get byEmail(): boolean {
      return byEmail;
    },
    async submit(form: AccountForm): Promise<'signed-in' | 'mailed'> {
      if (!byEmail) {
        try {
          await calls.register(form);
          return 'signed-in';
        } catch (err) {
          if (!registersByEmail(err)) throw err;
          byEmail = true;
        }
      }
      await calls.startRegistration(form.email);
      return 'mailed';
    },
  };
}
