import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  BusinessProfileSchema,
  EngagementRequestSchema,
  ProfessionalProfileSchema,
  ReviewSchema,
  type BusinessProfileEntity,
  type EngagementRequestEntity,
  type ProfessionalProfileEntity,
  type ReviewEntity,
} from './entities/index.ts';

export interface Loaders {
  professionalProfileByUserId: DataLoader<string, ProfessionalProfileEntity | null>;
  businessProfileByUserId: DataLoader<string, BusinessProfileEntity | null>;
  engagementById: DataLoader<string, EngagementRequestEntity | null>;
  reviewByEngagementId: DataLoader<string, ReviewEntity | null>;
}

function byKey<K extends string, T>(key: (row: T) => K, load: (keys: K[]) => Promise<T[]>): DataLoader<K, T | null> {
  return new DataLoader<K, T | null>(async (keys) => {
    const rows = await load([...keys]);
    const map = new Map(rows.map((row) => [key(row), row]));
    return keys.map((k) => map.get(k) ?? null);
  });
}

/** One set per request: the gateway resolves many User references in one `_entities` call. */
export function createLoaders(em: EntityManager): Loaders {
  return {
    professionalProfileByUserId: byKey(
      (p) => p.userId,
      (ids) => em.find(ProfessionalProfileSchema, { userId: { $in: ids } }),
    ),
    businessProfileByUserId: byKey(
      (p) => p.userId,
      (ids) => em.find(BusinessProfileSchema, { userId: { $in: ids } }),
    ),
    engagementById: byKey(
      (e) => e.id,
      (ids) => em.find(EngagementRequestSchema, { id: { $in: ids } }),
    ),
    reviewByEngagementId: byKey(
      (r) => r.engagementId,
      (ids) => em.find(ReviewSchema, { engagementId: { $in: ids } }),
    ),
  };
}
