import { ROLES } from '@finder/platform/auth';
import { defineEvents, type EventOf } from '@finder/platform/kafka';
import { z } from 'zod';

const session = z.object({
  id: z.uuid(),
  familyId: z.uuid(),
  tokenHash: z.string().length(64),
  expiresAt: z.iso.datetime(),
});

/** A new account and its first login: what both ways of registering create. */
const newAccount = {
  userId: z.uuid(),
  email: z.string(),
  emailNormalized: z.string(),
  passwordHash: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  session,
};

/** The users subgraph's event contract: produced by its resolvers, consumed by its persister and mailer. */
export const usersEvents = defineEvents('users.events', {
  'user.registered': z.object({
    ...newAccount,
    /** The nonce of the verification link (services/tokens.ts): the persister stores its hash, the mailer puts it in the link. */
    verificationNonce: z.string().min(32),
  }),
  /**
   * Someone asked for a registration link for `email`. The same event whether or not the email has
   * an account (so neither the answer nor its timing tells): the persister stores the nonce's hash
   * for the email, and the mailer sends the link, or, to an email with an account, a mail saying so.
   */
  'registration.requested': z.object({
    email: z.string(),
    emailNormalized: z.string(),
    /** The link's nonce, replacing any earlier one for the email (so only the newest link works). */
    nonce: z.string().min(32),
  }),
  /**
   * A registration link was used: creates the account with its email verified. `nonceHash` must
   * still be the one stored for the email (single use).
   */
  'registration.completed': z.object({
    ...newAccount,
    nonceHash: z.string().length(64),
  }),
  'session.created': z.object({ userId: z.uuid(), session }),
  'session.refreshed': z.object({ userId: z.uuid(), previousSessionId: z.uuid(), session }),
  'session.revoked': z.object({ userId: z.uuid(), sessionId: z.uuid(), reason: z.enum(['logout']) }),
  'session.reuse_detected': z.object({ userId: z.uuid(), sessionId: z.uuid(), familyId: z.uuid() }),
  /** `nonceHash`: the hash of the link's nonce, which must still be the stored one (single use). */
  'user.email_verified': z.object({ userId: z.uuid(), email: z.string(), nonceHash: z.string().length(64) }),
  'user.password_reset_requested': z.object({
    /** Null when no account has the email: the event still flows so timing reveals nothing. */
    userId: z.uuid().nullable(),
    email: z.string(),
    /** The new reset link's nonce, replacing any earlier one (so only the newest link works). */
    nonce: z.string().min(32),
  }),
  /** `nonceHash`: the hash of the reset link's nonce, which must still be the stored one (single use). */
  'user.password_reset': z.object({ userId: z.uuid(), passwordHash: z.string(), nonceHash: z.string().length(64) }),
  'user.profile_updated': z.object({
    userId: z.uuid(),
    displayName: z.string().optional(),
    avatarFileId: z.uuid().nullable().optional(),
  }),
});

export type UsersEvent = EventOf<typeof usersEvents.schemas>;
