import type { UsersFact } from '@finder/platform/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Projects users.facts into `files.avatars`: which file a user shows on their profile. users owns
 * the choice (it stores only a file id); files owns who may see the file, so it keeps its own copy.
 *
 * The rule: a file is a user's avatar only when that user owns it, it is READY and it is an image,
 * when the profile change is projected. Naming someone else's file id, or a document, as your
 * avatar exposes nothing. A new avatar (or none) replaces the previous one, which is private
 * again. Facts of one user arrive in order (keyed by user id); replaying one is harmless.
 */
export function createAvatarProjectorHandler(deps: { em: EntityManager }) {
  return async function handle(fact: UsersFact): Promise<void> {
    if (fact.type !== 'avatar.changed') return;
    const { userId, avatarFileId } = fact.data;
    await deps.em.fork().transactional(async (em) => {
      await em.execute('delete from files.avatars where user_id = ?', [userId]);
      if (avatarFileId === null) return;
      await em.execute(
        `insert into files.avatars (user_id, file_id)
         select ?::uuid, f.id from files.files f
         where f.id = ? and f.owner_id = ? and f.status = 'READY' and f.mime_type like 'image/%'`,
        [userId, avatarFileId, userId],
      );
    });
  };
}
