import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ReviewSchema = defineEntity({
  name: 'Review',
  tableName: 'reviews',
  properties: {
    id: p.uuid().primary(),
    engagementId: p.uuid(),
    authorId: p.uuid(),
    professionalId: p.uuid(),
    rating: p.integer(),
    comment: p.text().nullable(),
    createdAt: p.datetime(),
  },
});
export type ReviewEntity = InferEntity<typeof ReviewSchema>;
