import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { ConversionModel, FileModel } from './models.ts';
import { reads } from './services/reads.ts';

export interface Loaders {
  file: DataLoader<string, FileModel | null>;
  /** Whether the viewer got to see the file through a conversation (false without a viewer). */
  sharedWithViewer: DataLoader<string, boolean>;
  /** Whether a given user got to see the file through a conversation (a message's sender). */
  sharedWithUser: DataLoader<{ userId: string; fileId: string }, boolean, string>;
  /** Whether the file is its owner's avatar (visible to every signed-in user). */
  isAvatar: DataLoader<string, boolean>;
  conversion: DataLoader<string, ConversionModel | null>;
  conversionsOfFile: DataLoader<string, ConversionModel[]>;
}

const byKey = <T, K>(rows: T[], key: (row: T) => K) => new Map(rows.map((row) => [key(row), row]));

/** One set per request: a list of attachments costs the same few queries as one. */
export function createLoaders(em: EntityManager, viewerId: string | null): Loaders {
  return {
    file: new DataLoader(async (ids) => {
      const found = byKey(await reads.files(em, ids), (f) => f.id);
      return ids.map((id) => found.get(id) ?? null);
    }),
    sharedWithViewer: new DataLoader(async (ids) => {
      if (!viewerId) return ids.map(() => false);
      const shared = await reads.sharedWith(em, viewerId, ids);
      return ids.map((id) => shared.has(id));
    }),
    sharedWithUser: new DataLoader(
      async (keys) => {
        const byUser = Map.groupBy(keys, (k) => k.userId);
        const shared = new Set<string>();
        for (const [userId, ofUser] of byUser) {
          for (const fileId of await reads.sharedWith(em, userId, ofUser.map((k) => k.fileId))) shared.add(`${userId}:${fileId}`);
        }
        return keys.map((k) => shared.has(`${k.userId}:${k.fileId}`));
      },
      { cacheKeyFn: (k) => `${k.userId}:${k.fileId}` },
    ),
    isAvatar: new DataLoader(async (ids) => {
      const avatars = await reads.avatars(em, ids);
      return ids.map((id) => avatars.has(id));
    }),
    conversion: new DataLoader(async (ids) => {
      const found = byKey(await reads.conversions(em, ids), (c) => c.id);
      return ids.map((id) => found.get(id) ?? null);
    }),
    conversionsOfFile: new DataLoader(async (ids) => {
      const all = await reads.conversionsOfFiles(em, ids);
      return ids.map((id) => all.filter((c) => c.fileId === id));
    }),
  };
}
