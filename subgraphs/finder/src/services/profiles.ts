import type { Viewer } from '@finder/platform/auth';
import { forbidden, validate } from '@finder/platform/config';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BusinessProfileSchema, ProfessionalProfileSchema, type BusinessProfileEntity, type ProfessionalProfileEntity } from '../entities/index.ts';
import { finderEvents } from '../events/finder-events.ts';
import { businessProfileSchema, professionalProfileSchema } from './validation.ts';

/** Profile rules: a profile belongs to its user, and only to a user of the matching role. */
export function createProfiles(submit: Submit<typeof finderEvents.schemas>) {
  return {
    async upsertProfessional(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<ProfessionalProfileEntity> {
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
      return em.findOneOrFail(ProfessionalProfileSchema, { userId: viewer.id }, { disableIdentityMap: true });
    },

    async upsertBusiness(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<BusinessProfileEntity> {
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
      return em.findOneOrFail(BusinessProfileSchema, { userId: viewer.id }, { disableIdentityMap: true });
    },
  };
}

export type Profiles = ReturnType<typeof createProfiles>;
