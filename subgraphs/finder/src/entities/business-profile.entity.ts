import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const BusinessProfileSchema = defineEntity({
  name: 'BusinessProfile',
  tableName: 'business_profiles',
  properties: {
    userId: p.uuid().primary(),
    companyName: p.text(),
    industry: p.text().nullable(),
    size: p.text().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type BusinessProfileEntity = InferEntity<typeof BusinessProfileSchema>;
