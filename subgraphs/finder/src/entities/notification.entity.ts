import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The closed set of `Notification.kind` (the NotificationKind enum of the schema). */
export const NOTIFICATION_KINDS = [
  'ENGAGEMENT_REQUESTED',
  'ENGAGEMENT_ACCEPTED',
  'ENGAGEMENT_DECLINED',
  'ENGAGEMENT_WITHDRAWN',
  'REVIEW_RECEIVED',
  'NEW_MESSAGE',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NotificationSchema = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    seq: p.integer(),
    kind: p.enum(NOTIFICATION_KINDS),
    title: p.text(),
    body: p.text(),
    engagementId: p.uuid().nullable(),
    conversationId: p.uuid().nullable(),
    createdAt: p.datetime(),
    readAt: p.datetime().nullable(),
  },
});
export type NotificationEntity = InferEntity<typeof NotificationSchema>;
