import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const USER_ROLES = ['BUSINESS', 'PROFESSIONAL', 'ADMIN'] as const;

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    email: p.string(),
    emailNormalized: p.string().unique(),
    passwordHash: p.string().hidden().lazy(),
    /** Bumped on every password change; reset tokens carry it, which makes them single-use. */
    passwordVersion: p.integer().default(1),
    displayName: p.string(),
    role: p.enum(USER_ROLES),
    emailVerifiedAt: p.datetime().nullable(),
    avatarFileId: p.uuid().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type UserEntity = InferEntity<typeof UserSchema>;
