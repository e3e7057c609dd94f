import type { Viewer } from '@finder/platform/auth';
import { forbidden, notFound, validate, conflict } from '@finder/platform/config';
import { isUuid, uuidv7 } from '@finder/platform/data';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { finderEvents } from '../events/finder-events.ts';
import type { EngagementRequestModel, EngagementStatus, ReviewModel } from '../models.ts';
import { decodeCursor, encodeCursor, toPage, type Page } from './cursor.ts';
import { reads } from './reads.ts';
import { pageArgsSchema, requestEngagementSchema, respondSchema, reviewSchema, validateArgs, withdrawSchema } from './validation.ts';

const isParty = (e: EngagementRequestModel, viewer: Viewer) => e.businessId === viewer.id || e.professionalId === viewer.id;
const idCursor = z.object({ id: z.uuid() });

/**
 * Engagement rules, checked here for fast, clear answers and again by the persister, which alone
 * decides under concurrency (the state machine, one pending request per pair, one review each).
 */
export function createEngagements(submit: Submit<typeof finderEvents.schemas>) {
  const load = (em: EntityManager, id: string) => reads.engagement(em, id);

  /** A request the viewer takes part in; anyone else's is NOT_FOUND, so ids reveal nothing. */
  async function ownRequest(em: EntityManager, viewer: Viewer, id: string): Promise<EngagementRequestModel> {
    // Not a UUID: no such request (Postgres would refuse to compare it with the uuid column).
    const request = isUuid(id) ? await load(em, id) : null;
    if (!request || !isParty(request, viewer)) throw notFound('Engagement request');
    return request;
  }

  return {
    async request(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<EngagementRequestModel> {
      if (viewer.role !== 'BUSINESS') throw forbidden('Only business accounts can request engagements');
      const input = validate(requestEngagementSchema, rawInput);
      const [professional] = await reads.professionalProfiles(em, [input.professionalId]);
      if (!professional) throw notFound('Professional');
      const pending = await reads.hasPendingRequest(em, viewer.id, input.professionalId);
      if (pending && !input.idempotencyKey) {
        throw conflict('You already have a pending request with this professional', { field: 'input.professionalId' });
      }
      const engagementId = uuidv7();
      const outcome = await submit(
        finderEvents.create('engagement.requested', {
          aggregateId: engagementId,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey,
          data: { engagementId, businessId: viewer.id, professionalId: input.professionalId, message: input.message },
        }),
      );
      // A retry with the same idempotency key created nothing new: it answers with the first request.
      return (await load(em, String(outcome.result?.engagementId ?? engagementId)))!;
    },

    async respond(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<EngagementRequestModel> {
      if (viewer.role !== 'PROFESSIONAL') throw forbidden('Only the professional asked can respond to a request');
      const input = validate(respondSchema, rawInput);
      const request = await ownRequest(em, viewer, input.id);
      if (request.professionalId !== viewer.id) throw forbidden('Only the professional asked can respond to a request');
      const type = input.accept ? 'engagement.accept_requested' : 'engagement.decline_requested';
      await submit(
        finderEvents.create(type, {
          aggregateId: request.id,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey,
          data: { engagementId: request.id, businessId: request.businessId, professionalId: request.professionalId },
        }),
      );
      return (await load(em, request.id))!;
    },

    async withdraw(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<EngagementRequestModel> {
      const input = validate(withdrawSchema, rawInput);
      const request = await ownRequest(em, viewer, input.id);
      if (request.businessId !== viewer.id) throw forbidden('Only the business that sent a request can withdraw it');
      await submit(
        finderEvents.create('engagement.withdraw_requested', {
          aggregateId: request.id,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey,
          data: { engagementId: request.id, businessId: request.businessId, professionalId: request.professionalId },
        }),
      );
      return (await load(em, request.id))!;
    },

    async review(em: EntityManager, viewer: Viewer, rawInput: unknown): Promise<ReviewModel> {
      const input = validate(reviewSchema, rawInput);
      const request = await ownRequest(em, viewer, input.engagementId);
      if (request.businessId !== viewer.id) throw forbidden('Only the business of an engagement can review it');
      if (request.status !== 'ACCEPTED') throw conflict('Only an accepted engagement can be reviewed', { field: 'input.engagementId' });
      const reviewId = uuidv7();
      const outcome = await submit(
        finderEvents.create('review.submitted', {
          aggregateId: request.id,
          actorId: viewer.id,
          idempotencyKey: input.idempotencyKey,
          data: {
            reviewId,
            engagementId: request.id,
            authorId: viewer.id,
            professionalId: request.professionalId,
            rating: input.rating,
            comment: input.comment,
          },
        }),
      );
      return (await reads.review(em, String(outcome.result?.reviewId ?? reviewId)))!;
    },

    get: ownRequest,

    async list(em: EntityManager, viewer: Viewer, args: { status?: EngagementStatus | null; first?: number | null; after?: string | null }): Promise<Page<EngagementRequestModel>> {
      const { first, after } = validateArgs(pageArgsSchema, { first: args.first, after: args.after });
      const before = after ? decodeCursor(after, idCursor).id : null;
      // Ids are UUIDv7: ordering by id is ordering by creation, and a stable keyset.
      const rows = await reads.engagementsOf(em, viewer.id, { status: args.status ?? null, before, limit: first + 1 });
      return toPage(rows, first, (row) => encodeCursor({ id: row.id }), before !== null);
    },
  };
}

export type Engagements = ReturnType<typeof createEngagements>;
