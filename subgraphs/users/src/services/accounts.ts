import type { RevocationPublisher, TokenIssuer, Viewer } from '@finder/platform/auth';
import { AppError, badInput, conflict, ErrorCode, unauthenticated, validate } from '@finder/platform/config';
import { uuidv7 } from '@finder/platform/data';
import type { AppliedOutcome, Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { usersEvents, type UsersEvent } from '../events/users-events.ts';
import type { UserModel } from '../models.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { reads } from './reads.ts';
import {
  hashesEqual,
  newLinkNonce,
  newRefreshToken,
  nonceMatches,
  parseRefreshToken,
  REGISTRATION_LINK_USED,
  RESET_LINK_USED,
  sha256,
  VERIFICATION_LINK_USED,
  verifyLinkToken,
} from './tokens.ts';
import {
  completeRegistrationSchema,
  emailSchema,
  idempotencyKeySchema,
  loginSchema,
  normalizeEmail,
  passwordSchema,
  registerSchema,
  startRegistrationSchema,
  updateProfileSchema,
} from './validation.ts';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: UserModel;
}

export interface AccountsDeps {
  submit: Submit<typeof usersEvents.schemas>;
  issuer: TokenIssuer;
  /** Tells the gateways which logins ended, so their access tokens stop working at once. */
  revocations: RevocationPublisher;
  refreshTtlSeconds: number;
  linkSecret: string;
  /**
   * `direct`: `register` creates an account at once (and tells a taken email apart by its answer).
   * `email`: only the mailed link of startRegistration does, so no answer reveals an account.
   */
  registration: 'direct' | 'email';
}

const INVALID_LOGIN = 'Invalid email or password';
const INVALID_REFRESH = 'Refresh token is invalid or expired';

/**
 * Account rules. Every change goes through the event log (docs/architecture.md#write-path): validate, read for
 * fast feedback, emit, and answer once the persister has applied it.
 */
export function createAccounts(deps: AccountsDeps) {
  const { submit, issuer } = deps;

  /** The access token names the login (the family), which is what logout, reuse and resets end. */
  async function issue(em: EntityManager, userId: string, familyId: string, refreshToken: string): Promise<AuthResult> {
    const user = await stored(em, userId);
    const { token, expiresAt } = await issuer.sign({ id: user.id, role: user.role, sessionId: familyId });
    return { accessToken: token, refreshToken, expiresAt, user };
  }

  /** Announces the logins the persister ended (persister.ts), now that it has applied the change. */
  async function announceRevoked(outcome: AppliedOutcome): Promise<void> {
    const families = outcome.result?.revokedFamilies;
    if (Array.isArray(families)) await deps.revocations.revoke(families.map(String));
  }

  type Credentials = { email: string; password: string };
  type NewSession = ReturnType<typeof newSession>;

  function newSession(familyId: string = uuidv7()) {
    const refresh = newRefreshToken();
    const expiresAt = new Date(Date.now() + deps.refreshTtlSeconds * 1000).toISOString();
    return { refresh, session: { id: refresh.sessionId, familyId, tokenHash: refresh.tokenHash, expiresAt } };
  }

  /** A retried registration (same idempotency key and password) answers like the first one did: signed in. */
  async function retriedSignIn(em: EntityManager, idempotencyKey: string | null | undefined, credentials: Credentials): Promise<AuthResult | null> {
    return idempotencyKey ? accounts.login(em, credentials).catch(() => null) : null;
  }

  /**
   * Submits an event that creates the account `userId` with its first login, and signs it in; an
   * idempotent retry of an earlier attempt signs in to the account that attempt created.
   */
  async function createAndSignIn(em: EntityManager, event: UsersEvent, userId: string, login: NewSession, credentials: Credentials): Promise<AuthResult> {
    const outcome = await submit(event);
    const createdId = String(outcome.result?.userId ?? userId);
    if (createdId !== userId) return accounts.login(em, credentials);
    return issue(em, userId, login.session.familyId, login.refresh.token);
  }

  const accounts = {
    async register(em: EntityManager, rawInput: unknown): Promise<AuthResult> {
      if (deps.registration === 'email') throw registrationByEmail();
      const input = validate(registerSchema, rawInput);
      const emailNormalized = normalizeEmail(input.email);
      // Fast feedback only; the persister's unique index decides under concurrency.
      const credentials = { email: input.email, password: input.password };
      if (await reads.userByEmail(em, emailNormalized)) {
        const retried = await retriedSignIn(em, input.idempotencyKey, credentials);
        if (retried) return retried;
        throw conflict('An account with this email already exists', { field: 'input.email' });
      }
      const userId = uuidv7();
      const login = newSession();
      const { session } = login;
      const event = usersEvents.create('user.registered', {
        aggregateId: userId,
        actorId: null,
        idempotencyKey: input.idempotencyKey ?? undefined,
        data: {
          userId,
          email: input.email,
          emailNormalized,
          passwordHash: await hashPassword(input.password),
          displayName: input.displayName,
          role: input.role,
          session,
          verificationNonce: newLinkNonce(),
        },
      });
      return createAndSignIn(em, event, userId, login, credentials);
    },

    /**
     * Mails a registration link, or, when the email has an account, a mail saying so. The same
     * event, and no read, whatever the email: neither the answer nor its timing tells which.
     */
    async startRegistration(rawInput: unknown): Promise<boolean> {
      const input = validate(startRegistrationSchema, rawInput);
      const emailNormalized = normalizeEmail(input.email);
      await submit(
        usersEvents.create('registration.requested', {
          aggregateId: `email:${emailNormalized}`,
          actorId: null,
          idempotencyKey: input.idempotencyKey ?? undefined,
          data: { email: input.email, emailNormalized, nonce: newLinkNonce() },
        }),
      );
      return true;
    },

    /** Creates the account a registration link was mailed for, its email verified by the link, and signs it in. */
    async completeRegistration(em: EntityManager, rawInput: unknown): Promise<AuthResult> {
      const input = validate(completeRegistrationSchema, rawInput);
      const claims = verifyLinkToken(input.token, 'complete-registration', deps.linkSecret);
      const emailNormalized = claims ? normalizeEmail(claims.email) : null;
      const nonceHash = emailNormalized && (await reads.registrationNonce(em, emailNormalized));
      // Fast feedback only; the persister deletes the nonce as it applies, so two uses never both succeed.
      if (!claims || !nonceMatches(claims.nonce, nonceHash ?? null) || (await reads.userByEmail(em, emailNormalized!))) {
        const retried = claims && (await retriedSignIn(em, input.idempotencyKey, { email: claims.email, password: input.password }));
        if (retried) return retried;
        throw badInput(REGISTRATION_LINK_USED, 'input.token');
      }
      const userId = uuidv7();
      const login = newSession();
      const { session } = login;
      return createAndSignIn(
        em,
        usersEvents.create('registration.completed', {
          aggregateId: userId,
          actorId: null,
          idempotencyKey: input.idempotencyKey ?? undefined,
          data: {
            userId,
            email: claims.email,
            emailNormalized: emailNormalized!,
            passwordHash: await hashPassword(input.password),
            displayName: input.displayName,
            role: input.role,
            session,
            nonceHash: sha256(claims.nonce),
          },
        }),
        userId,
        login,
        { email: claims.email, password: input.password },
      );
    },

    async login(em: EntityManager, rawInput: unknown): Promise<AuthResult> {
      const input = validate(loginSchema, rawInput);
      const user = await reads.credentials(em, normalizeEmail(input.email));
      if (!(await verifyPassword(user?.passwordHash ?? null, input.password)) || !user) {
        throw unauthenticated(INVALID_LOGIN, 'INVALID_CREDENTIALS');
      }
      const { refresh, session } = newSession();
      await submit(
        usersEvents.create('session.created', {
          aggregateId: user.id,
          actorId: user.id,
          idempotencyKey: input.idempotencyKey ?? undefined,
          data: { userId: user.id, session },
        }),
      );
      return issue(em, user.id, session.familyId, refresh.token);
    },

    async refresh(em: EntityManager, token: string): Promise<AuthResult> {
      const parsed = parseRefreshToken(token);
      const current = parsed && (await reads.session(em, parsed.sessionId));
      if (!parsed || !current || !hashesEqual(current.tokenHash, parsed.tokenHash)) {
        throw unauthenticated(INVALID_REFRESH, 'REFRESH_TOKEN_INVALID');
      }
      if (current.replacedBy) {
        const outcome = await submit(
          usersEvents.create('session.reuse_detected', {
            aggregateId: current.userId,
            actorId: current.userId,
            data: { userId: current.userId, sessionId: current.id, familyId: current.familyId },
          }),
        );
        await announceRevoked(outcome);
        throw reuseDetected();
      }
      if (current.revokedAt || new Date(current.expiresAt).getTime() <= Date.now()) {
        throw unauthenticated(INVALID_REFRESH, 'REFRESH_TOKEN_INVALID');
      }
      const { refresh, session } = newSession(current.familyId);
      const outcome = await submit(
        usersEvents.create('session.refreshed', {
          aggregateId: current.userId,
          actorId: current.userId,
          data: { userId: current.userId, previousSessionId: current.id, session },
        }),
      );
      if (outcome.result?.reuseDetected) {
        await announceRevoked(outcome);
        throw reuseDetected();
      }
      return issue(em, current.userId, session.familyId, refresh.token);
    },

    async logout(em: EntityManager, token: string): Promise<boolean> {
      const parsed = parseRefreshToken(token);
      const current = parsed && (await reads.session(em, parsed.sessionId));
      if (!parsed || !current || !hashesEqual(current.tokenHash, parsed.tokenHash)) {
        throw unauthenticated(INVALID_REFRESH, 'REFRESH_TOKEN_INVALID');
      }
      if (current.revokedAt) {
        // Already ended (not merely rotated): announce it again, in case the first answer never
        // came (WRITE_PENDING) and the announcement with it. Repeating one changes nothing.
        if (!current.replacedBy) await deps.revocations.revoke([current.familyId]);
        return true;
      }
      await announceRevoked(
        await submit(
          usersEvents.create('session.revoked', {
            aggregateId: current.userId,
            actorId: current.userId,
            data: { userId: current.userId, sessionId: current.id, reason: 'logout' },
          }),
        ),
      );
      return true;
    },

    async verifyEmail(em: EntityManager, token: string): Promise<UserModel> {
      const claims = verifyLinkToken(token, 'verify-email', deps.linkSecret);
      const user = claims && (await reads.user(em, claims.userId));
      const nonces = user && (await reads.linkNonces(em, user.id));
      // Fast feedback only; the persister clears the nonce as it applies, so two uses never both succeed.
      if (!claims || !user || user.email !== claims.email || !nonceMatches(claims.nonce, nonces?.verifyEmail ?? null)) {
        throw badInput(VERIFICATION_LINK_USED, 'token');
      }
      await submit(
        usersEvents.create('user.email_verified', {
          aggregateId: user.id,
          actorId: user.id,
          data: { userId: user.id, email: user.email, nonceHash: sha256(claims.nonce) },
        }),
      );
      return stored(em, user.id);
    },

    async requestPasswordReset(em: EntityManager, rawEmail: string): Promise<boolean> {
      const email = validate(emailSchema, rawEmail, 'email');
      const user = await reads.userByEmail(em, normalizeEmail(email));
      // The same event flows whether or not the account exists, so neither the answer nor its timing tells.
      await submit(
        usersEvents.create('user.password_reset_requested', {
          aggregateId: user?.id ?? `email:${normalizeEmail(email)}`,
          actorId: null,
          data: { userId: user?.id ?? null, email: user?.email ?? email, nonce: newLinkNonce() },
        }),
      );
      return true;
    },

    async resetPassword(em: EntityManager, token: string, newPassword: string): Promise<boolean> {
      const password = validate(passwordSchema, newPassword, 'newPassword');
      const claims = verifyLinkToken(token, 'reset-password', deps.linkSecret);
      const nonces = claims && (await reads.linkNonces(em, claims.userId));
      if (!claims || !nonces || !nonceMatches(claims.nonce, nonces.resetPassword)) throw badInput(RESET_LINK_USED, 'token');
      const outcome = await submit(
        usersEvents.create('user.password_reset', {
          aggregateId: claims.userId,
          actorId: claims.userId,
          data: { userId: claims.userId, passwordHash: await hashPassword(password), nonceHash: sha256(claims.nonce) },
        }),
      );
      // Every login of the user ended with the reset; their access tokens end now too.
      await announceRevoked(outcome);
      return true;
    },

    async updateProfile(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<UserModel> {
      const input = validate(updateProfileSchema, rawInput);
      const data: { userId: string; displayName?: string; avatarFileId?: string | null } = { userId: viewer.id };
      if (input.displayName != null) data.displayName = input.displayName;
      if (input.avatarFileId !== undefined) data.avatarFileId = input.avatarFileId;
      await submit(
        usersEvents.create('user.profile_updated', {
          aggregateId: viewer.id,
          actorId: viewer.id,
          idempotencyKey: validate(idempotencyKeySchema, input.idempotencyKey, 'input.idempotencyKey') ?? undefined,
          data,
        }),
      );
      return stored(em, viewer.id);
    },
  };
  return accounts;
}

export type Accounts = ReturnType<typeof createAccounts>;

/** A user the persister has just written (or the caller's own account): missing only if something is badly wrong. */
async function stored(em: EntityManager, userId: string): Promise<UserModel> {
  const user = await reads.user(em, userId);
  if (!user) throw new Error(`user ${userId} not found after its write`);
  return user;
}

const registrationByEmail = () =>
  new AppError(ErrorCode.FORBIDDEN, 'Registration is by email here: call startRegistration, then completeRegistration with the mailed link', {
    reason: 'REGISTRATION_BY_EMAIL',
  });

const reuseDetected = () =>
  unauthenticated('Refresh token was already used; every session of this login has been revoked', 'REFRESH_TOKEN_REUSED');
