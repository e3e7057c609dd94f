import { BusinessProfileSchema } from './business-profile.entity.ts';
import { EngagementRequestSchema } from './engagement-request.entity.ts';
import { NotificationSchema } from './notification.entity.ts';
import { ProfessionalProfileSchema } from './professional-profile.entity.ts';
import { ReviewSchema } from './review.entity.ts';

export const entities = [ProfessionalProfileSchema, BusinessProfileSchema, EngagementRequestSchema, ReviewSchema, NotificationSchema];
export { BusinessProfileSchema, EngagementRequestSchema, NotificationSchema, ProfessionalProfileSchema, ReviewSchema };
export type { BusinessProfileEntity } from './business-profile.entity.ts';
export type { EngagementRequestEntity, EngagementStatus } from './engagement-request.entity.ts';
export type { NotificationEntity, NotificationKind } from './notification.entity.ts';
export type { ProfessionalProfileEntity, Specialty } from './professional-profile.entity.ts';
export { SPECIALTIES } from './professional-profile.entity.ts';
export { ENGAGEMENT_STATUSES } from './engagement-request.entity.ts';
export type { ReviewEntity } from './review.entity.ts';
