import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const SPECIALTIES = ['ACCOUNTING', 'TAX', 'CFO', 'REVENUE', 'BOOKKEEPING', 'AUDIT', 'PAYROLL', 'FPA'] as const;
export type Specialty = (typeof SPECIALTIES)[number];

/** A professional's public profile; `search_vector` (generated) is left to SQL. */
export const ProfessionalProfileSchema = defineEntity({
  name: 'ProfessionalProfile',
  tableName: 'professional_profiles',
  properties: {
    userId: p.uuid().primary(),
    headline: p.text(),
    bio: p.text(),
    specialties: p.array<Specialty>(),
    specialtyTerms: p.text().lazy(),
    hourlyRate: p.integer(),
    currency: p.string(),
    location: p.text().nullable(),
    remote: p.boolean(),
    yearsExperience: p.integer(),
    ratingSum: p.integer(),
    reviewCount: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type ProfessionalProfileEntity = InferEntity<typeof ProfessionalProfileSchema>;
