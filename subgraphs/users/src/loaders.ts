import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserSchema, type UserEntity } from './entities/index.ts';

export interface Loaders {
  userById: DataLoader<string, UserEntity | null>;
}

/** One set per request: batches entity lookups (federation asks for many users at once). */
export function createLoaders(em: EntityManager): Loaders {
  return {
    userById: new DataLoader(async (ids) => {
      const users = await em.find(UserSchema, { id: { $in: [...ids] } });
      const byId = new Map(users.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
