import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const NotificationSchema = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    seq: p.integer(),
    kind: p.string(),
    title: p.text(),
    body: p.text(),
    engagementId: p.uuid().nullable(),
    conversationId: p.uuid().nullable(),
    createdAt: p.datetime(),
    readAt: p.datetime().nullable(),
  },
});
export type NotificationEntity = InferEntity<typeof NotificationSchema>;
