import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One refresh token. A login starts a family; each refresh replaces the token with a new one. */
export const SessionSchema = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: p.uuid().primary(),
    familyId: p.uuid().index(),
    userId: p.uuid().index(),
    tokenHash: p.string(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    revokedReason: p.string().nullable(),
    replacedBy: p.uuid().nullable(),
  },
});
export type SessionEntity = InferEntity<typeof SessionSchema>;
