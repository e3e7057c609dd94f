import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { ConversationModel, MessageModel, ParticipantModel } from './models.ts';
import { reads } from './services/reads.ts';

export interface Loaders {
  conversation: DataLoader<string, ConversationModel | null>;
  participants: DataLoader<string, ParticipantModel[]>;
  lastMessage: DataLoader<string, MessageModel | null>;
  message: DataLoader<string, MessageModel | null>;
}

const byKey = <T, K>(rows: T[], key: (row: T) => K) => new Map(rows.map((row) => [key(row), row]));

/**
 * One set per request. A list of 50 conversations with participants, last message and unread
 * count costs the same three queries as a list of one.
 */
export function createLoaders(em: EntityManager): Loaders {
  return {
    conversation: new DataLoader(async (ids) => {
      const found = byKey(await reads.conversations(em, ids), (c) => c.id);
      return ids.map((id) => found.get(id) ?? null);
    }),
    participants: new DataLoader(async (ids) => {
      const all = await reads.participants(em, ids);
      return ids.map((id) => all.filter((p) => p.conversationId === id));
    }),
    lastMessage: new DataLoader(async (ids) => {
      const found = byKey(await reads.lastMessages(em, ids), (m) => m.conversationId);
      return ids.map((id) => found.get(id) ?? null);
    }),
    message: new DataLoader(async (ids) => {
      const found = byKey(await reads.messages(em, ids), (m) => m.id);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
