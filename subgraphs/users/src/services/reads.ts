import { query } from '@finder/platform/data';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SessionModel, UserModel } from '../models.ts';

/** The one mapping of a users row to its model. */
const USER = `id, email, display_name as "displayName", role,
  email_verified_at as "emailVerifiedAt", avatar_file_id as "avatarFileId", created_at as "createdAt", updated_at as "updatedAt"`;

const SESSION = `id, family_id as "familyId", user_id as "userId", token_hash as "tokenHash", expires_at as "expiresAt",
  revoked_at as "revokedAt", replaced_by as "replacedBy"`;

/** Plain SQL with bound parameters; every read of the users subgraph's request path. */
export const reads = {
  async users(em: EntityManager, ids: readonly string[]): Promise<UserModel[]> {
    return query<UserModel>(em, `select ${USER} from users.users where id = any($1::uuid[])`, [[...ids]]);
  },
  async user(em: EntityManager, id: string): Promise<UserModel | null> {
    return (await reads.users(em, [id]))[0] ?? null;
  },
  async userByEmail(em: EntityManager, emailNormalized: string): Promise<UserModel | null> {
    const [row] = await query<UserModel>(em, `select ${USER} from users.users where email_normalized = $1`, [emailNormalized]);
    return row ?? null;
  },
  /** The only read of a password hash: checking a login. */
  async credentials(em: EntityManager, emailNormalized: string): Promise<{ id: string; passwordHash: string } | null> {
    const [row] = await query<{ id: string; passwordHash: string }>(
      em,
      'select id, password_hash as "passwordHash" from users.users where email_normalized = $1',
      [emailNormalized],
    );
    return row ?? null;
  },
  /** The hashes of the user's outstanding link nonces (services/tokens.ts): null when there is none. */
  async linkNonces(em: EntityManager, userId: string): Promise<{ verifyEmail: string | null; resetPassword: string | null } | null> {
    const [row] = await query<{ verifyEmail: string | null; resetPassword: string | null }>(
      em,
      'select email_verification_nonce_hash as "verifyEmail", password_reset_nonce_hash as "resetPassword" from users.users where id = $1',
      [userId],
    );
    return row ?? null;
  },
  /** The hash of the email's outstanding registration link nonce, or null when there is none. */
  async registrationNonce(em: EntityManager, emailNormalized: string): Promise<string | null> {
    const [row] = await query<{ nonceHash: string }>(
      em,
      'select nonce_hash as "nonceHash" from users.registration_requests where email_normalized = $1',
      [emailNormalized],
    );
    return row?.nonceHash ?? null;
  },
  async session(em: EntityManager, id: string): Promise<SessionModel | null> {
    const [row] = await query<SessionModel>(em, `select ${SESSION} from users.sessions where id = $1`, [id]);
    return row ?? null;
  },
};
