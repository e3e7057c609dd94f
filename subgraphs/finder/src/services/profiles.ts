import type { Viewer } from '@finder/platform/auth';
import { forbidden, validate } from '@finder/platform/config';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { finderEvents } from '../events/finder-events.ts';
import type { BusinessProfileModel, ProfessionalProfileModel } from '../models.ts';
import { reads } from './reads.ts';
import { businessProfileSchema, professionalProfileSchema } from './validation.ts';

/** Profile rules: a profile belongs to its user, and only to a user of the matching role. */
export function createProfiles(submit: Submit<typeof finderEvents.schemas>) {
  return {
    async upsertProfessional(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<ProfessionalProfileModel> {
      if (viewer.role !== 'PROFESSIONAL') throw forbidden('Only professional accounts have a professional profile');
      const { idempotencyKey, ...data } = validate(professionalProfileSchema, rawInput);
      await submit(
        finderEvents.create('professional_profile.upserted', {
          aggregateId: viewer.id,
          actorId: viewer.id,
          idempotencyKey,
          data: { userId: viewer.id, ...data },
        }),
      );
      return (await reads.professionalProfiles(em, [viewer.id]))[0]!;
    },

    async upsertBusiness(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<BusinessProfileModel> {
      if (viewer.role !== 'BUSINESS') throw forbidden('Only business accounts have a business profile');
      const { idempotencyKey, ...data } = validate(businessProfileSchema, rawInput);
      await submit(
        finderEvents.create('business_profile.upserted', {
          aggregateId: viewer.id,
          actorId: viewer.id,
          idempotencyKey,
          data: { userId: viewer.id, ...data },
        }),
      );
      return (await reads.businessProfiles(em, [viewer.id]))[0]!;
    },
  };
}

export type Profiles = ReturnType<typeof createProfiles>;
