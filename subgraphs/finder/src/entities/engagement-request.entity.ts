import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ENGAGEMENT_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'WITHDRAWN'] as const;
export type EngagementStatus = (typeof ENGAGEMENT_STATUSES)[number];

export const EngagementRequestSchema = defineEntity({
  name: 'EngagementRequest',
  tableName: 'engagement_requests',
  properties: {
    id: p.uuid().primary(),
    businessId: p.uuid(),
    professionalId: p.uuid(),
    message: p.text(),
    status: p.enum(ENGAGEMENT_STATUSES),
    createdAt: p.datetime(),
    respondedAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});
export type EngagementRequestEntity = InferEntity<typeof EngagementRequestSchema>;
