import { ErrorCode } from '@finder/platform/config';
import { usersFacts } from '@finder/platform/contracts';
import { type ApplyContext, type ApplyResult, reject } from '@finder/platform/write';
import type { UsersEvent } from './events/users-events.ts';
import { REGISTRATION_LINK_USED, RESET_LINK_USED, sha256, VERIFICATION_LINK_USED } from './services/tokens.ts';

type Session = { id: string; familyId: string; tokenHash: string; expiresAt: string };

/** Well past a registration link's lifetime (COMPLETE_REGISTRATION_TTL_MS, from when it is mailed). */
const REGISTRATION_REQUEST_RETENTION_MS = 7 * 24 * 3600_000;

/**
 * Applies one users event inside the persister's batch transaction. The persister is the single
 * writer, so the invariants are enforced here: unique emails, single-use refresh tokens and links.
 * Whatever ends logins answers their families in `result.revokedFamilies`, for the writer to
 * announce to the gateways once the change is applied (services/accounts.ts).
 */
export async function applyUsersEvent(ctx: ApplyContext, event: UsersEvent): Promise<ApplyResult> {
  const { em } = ctx;
  const at = event.occurredAt;
  switch (event.type) {
    case 'user.registered': {
      const d = event.data;
      if (!(await createAccount(em, d, at, { verificationNonceHash: sha256(d.verificationNonce), verifiedAt: null }))) {
        return reject(ErrorCode.CONFLICT, 'An account with this email already exists', { field: 'input.email' });
      }
      return { result: { userId: d.userId } };
    }
    case 'registration.requested': {
      // The same write whether or not the email has an account; the mailer decides which mail it gets.
      const d = event.data;
      await em.execute(
        `insert into users.registration_requests (email_normalized, nonce_hash, requested_at) values (?, ?, ?)
         on conflict (email_normalized) do update set nonce_hash = excluded.nonce_hash, requested_at = excluded.requested_at`,
        [d.emailNormalized, sha256(d.nonce), at],
      );
      // Requests whose links expired long ago (even if mailed late) go, so the table holds only live ones.
      await em.execute('delete from users.registration_requests where requested_at < ?', [new Date(Date.parse(at) - REGISTRATION_REQUEST_RETENTION_MS).toISOString()]);
      return;
    }
    case 'registration.completed': {
      const d = event.data;
      // The link's nonce is deleted as it is used: the same link never works twice.
      const used = await em.execute<{ email_normalized: string }[]>(
        'delete from users.registration_requests where email_normalized = ? and nonce_hash = ? returning email_normalized',
        [d.emailNormalized, d.nonceHash],
      );
      const refused = reject(ErrorCode.BAD_USER_INPUT, REGISTRATION_LINK_USED, { field: 'input.token' });
      if (used.length === 0) return refused;
      // Registered meanwhile (by register, or another link): the same refusal as a used link.
      if (!(await createAccount(em, d, at, { verificationNonceHash: null, verifiedAt: at }))) return refused;
      return { result: { userId: d.userId } };
    }
    case 'session.created': {
      await insertSession(em, event.data.userId, event.data.session, at);
      return;
    }
    case 'session.refreshed': {
      const d = event.data;
      // Only an active token can be rotated; a concurrent or later use of the same token is reuse.
      const rotated = await em.execute<{ id: string }[]>(
        `update users.sessions set replaced_by = ?, revoked_at = ?, revoked_reason = 'rotated'
         where id = ? and user_id = ? and revoked_at is null and replaced_by is null and expires_at > ?
         returning id`,
        [d.session.id, at, d.previousSessionId, d.userId, at],
      );
      if (rotated.length === 0) {
        const revokedFamilies = await revokeFamily(em, d.session.familyId, at, 'reuse-detected');
        return { result: { reuseDetected: true, revokedFamilies } };
      }
      await insertSession(em, d.userId, d.session, at);
      return;
    }
    case 'session.revoked': {
      // Logout ends the whole login, including a token a concurrent refresh has just rotated in.
      const [session] = await em.execute<{ family_id: string }[]>(
        'select family_id from users.sessions where id = ? and user_id = ?',
        [event.data.sessionId, event.data.userId],
      );
      if (!session) return;
      return { result: { revokedFamilies: await revokeFamily(em, session.family_id, at, event.data.reason) } };
    }
    case 'session.reuse_detected': {
      return { result: { revokedFamilies: await revokeFamily(em, event.data.familyId, at, 'reuse-detected') } };
    }
    case 'user.email_verified': {
      // The link's nonce is cleared as it is used: the same link never works twice.
      const updated = await em.execute<{ id: string }[]>(
        `update users.users set email_verified_at = coalesce(email_verified_at, ?), email_verification_nonce_hash = null, updated_at = ?
         where id = ? and email = ? and email_verification_nonce_hash = ? returning id`,
        [at, at, event.data.userId, event.data.email, event.data.nonceHash],
      );
      if (updated.length === 0) return reject(ErrorCode.BAD_USER_INPUT, VERIFICATION_LINK_USED, { field: 'token' });
      return;
    }
    case 'user.password_reset_requested': {
      // The new link's nonce replaces the last one's: only the newest reset link works.
      if (event.data.userId) {
        await em.execute(`update users.users set password_reset_requested_at = ?, password_reset_nonce_hash = ? where id = ?`, [
          at,
          sha256(event.data.nonce),
          event.data.userId,
        ]);
      }
      return;
    }
    case 'user.password_reset': {
      const d = event.data;
      const updated = await em.execute<{ id: string }[]>(
        `update users.users set password_hash = ?, password_version = password_version + 1, password_reset_nonce_hash = null, updated_at = ?
         where id = ? and password_reset_nonce_hash = ? returning id`,
        [d.passwordHash, at, d.userId, d.nonceHash],
      );
      if (updated.length === 0) return reject(ErrorCode.BAD_USER_INPUT, RESET_LINK_USED, { field: 'token' });
      // Every login of the user ends: its refresh tokens here, its access tokens at the gateways.
      const revoked = await em.execute<{ family_id: string }[]>(
        `update users.sessions set revoked_at = ?, revoked_reason = 'password-reset' where user_id = ? and revoked_at is null
         returning family_id`,
        [at, d.userId],
      );
      return { result: { revokedFamilies: [...new Set(revoked.map((r) => r.family_id))] } };
    }
    case 'user.profile_updated': {
      const d = event.data;
      await em.execute(
        `update users.users set
           display_name = coalesce(?, display_name),
           avatar_file_id = case when ? then ? else avatar_file_id end,
           updated_at = ?
         where id = ?`,
        [d.displayName ?? null, d.avatarFileId !== undefined, d.avatarFileId ?? null, at, d.userId],
      );
      // Files decides who may see an avatar; it learns of the choice from users.facts only.
      if (d.avatarFileId !== undefined) {
        const data = { userId: d.userId, avatarFileId: d.avatarFileId };
        ctx.emit(usersFacts.topic, usersFacts.derive('avatar.changed', event, { aggregateId: d.userId, data }));
      }
      return;
    }
  }
}

type NewAccount = Extract<UsersEvent, { type: 'user.registered' | 'registration.completed' }>['data'];

/** Inserts an account and its first login; false when the email has an account (the unique index decides). */
async function createAccount(
  em: ApplyContext['em'],
  a: NewAccount,
  at: string,
  email: { verificationNonceHash: string | null; verifiedAt: string | null },
): Promise<boolean> {
  const inserted = await em.execute<{ id: string }[]>(
    `insert into users.users (id, email, email_normalized, password_hash, display_name, role, email_verification_nonce_hash, email_verified_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict do nothing returning id`,
    [a.userId, a.email, a.emailNormalized, a.passwordHash, a.displayName, a.role, email.verificationNonceHash, email.verifiedAt, at, at],
  );
  if (inserted.length === 0) return false;
  await insertSession(em, a.userId, a.session, at);
  return true;
}

async function insertSession(em: ApplyContext['em'], userId: string, s: Session, at: string): Promise<void> {
  await em.execute(
    `insert into users.sessions (id, family_id, user_id, token_hash, created_at, expires_at) values (?, ?, ?, ?, ?, ?)
     on conflict (id) do nothing`,
    [s.id, s.familyId, userId, s.tokenHash, at, s.expiresAt],
  );
}

/** Ends a login; answers its family when this ended it (empty when it had already ended). */
async function revokeFamily(em: ApplyContext['em'], familyId: string, at: string, reason: string): Promise<string[]> {
  const revoked = await em.execute<{ id: string }[]>(
    `update users.sessions set revoked_at = ?, revoked_reason = ? where family_id = ? and revoked_at is null returning id`,
    [at, reason, familyId],
  );
  return revoked.length > 0 ? [familyId] : [];
}
