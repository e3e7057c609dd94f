import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UserModel } from './models.ts';
import { reads } from './services/reads.ts';

export interface Loaders {
  userById: DataLoader<string, UserModel | null>;
}

/** One set per request: batches user lookups (federation asks for many users at once). */
export function createLoaders(em: EntityManager): Loaders {
  return {
    userById: new DataLoader(async (ids) => {
      const byId = new Map((await reads.users(em, ids)).map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
