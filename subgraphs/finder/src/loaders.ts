import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BusinessProfileModel, EngagementRequestModel, ProfessionalProfileModel, ReviewModel } from './models.ts';
import { reads } from './services/reads.ts';

export interface Loaders {
  professionalProfileByUserId: DataLoader<string, ProfessionalProfileModel | null>;
  businessProfileByUserId: DataLoader<string, BusinessProfileModel | null>;
  engagementById: DataLoader<string, EngagementRequestModel | null>;
  reviewByEngagementId: DataLoader<string, ReviewModel | null>;
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
    professionalProfileByUserId: byKey((p) => p.userId, (ids) => reads.professionalProfiles(em, ids)),
    businessProfileByUserId: byKey((p) => p.userId, (ids) => reads.businessProfiles(em, ids)),
    engagementById: byKey((e) => e.id, (ids) => reads.engagements(em, ids)),
    reviewByEngagementId: byKey((r) => r.engagementId, (ids) => reads.reviewsOfEngagements(em, ids)),
  };
}
