import type { Viewer } from '@finder/platform/auth';
import { badInput, type Logger, validate } from '@finder/platform/config';
import { gaplessStream, type PubSub } from '@finder/platform/realtime';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { finderEvents } from '../events/finder-events.ts';
import type { NotificationModel } from '../models.ts';
import { triggers } from '../triggers.ts';
import { decodeCursor, encodeCursor, toPage, type Page } from './cursor.ts';
import { reads } from './reads.ts';
import { idempotencyKeySchema, pageArgsSchema, validateArgs } from './validation.ts';

const seqCursor = z.object({ seq: z.number().int().min(0) });

/** A user's notifications: written by the persister from engagement events, read only by their user. */
export function createNotifications(deps: { submit: Submit<typeof finderEvents.schemas>; pubsub: PubSub; logger: Logger }) {
  return {
    async list(em: EntityManager, viewer: Viewer, args: { first?: number | null; after?: string | null }): Promise<Page<NotificationModel> & { unreadCount: number }> {
      const { first, after } = validateArgs(pageArgsSchema, args);
      const before = after ? decodeCursor(after, seqCursor).seq : null;
      const [rows, unreadCount] = await Promise.all([
        reads.notificationsOf(em, viewer.id, { before, limit: first + 1 }),
        reads.unreadNotifications(em, viewer.id),
      ]);
      return { ...toPage(rows, first, (row) => encodeCursor({ seq: row.seq }), before !== null), unreadCount };
    },

    async markRead(viewer: Viewer, upToSeq: number, idempotencyKey: string | null | undefined): Promise<number> {
      if (!Number.isInteger(upToSeq) || upToSeq < 0) throw badInput('upToSeq must not be negative', 'upToSeq');
      const outcome = await deps.submit(
        finderEvents.create('notifications.read', {
          aggregateId: viewer.id,
          actorId: viewer.id,
          idempotencyKey: validate(idempotencyKeySchema, idempotencyKey, 'idempotencyKey'),
          data: { userId: viewer.id, upToSeq },
        }),
      );
      return Number(outcome.result?.marked ?? 0);
    },

    /** Replays seq > after from Postgres, then continues live from Redis, without gaps or repeats. */
    subscribe(em: EntityManager, viewer: Viewer, after: number | null) {
      if (after !== null && after < 0) throw badInput('after must not be negative', 'after');
      return gaplessStream<NotificationModel>({
        pubsub: deps.pubsub,
        trigger: triggers.notificationAdded(viewer.id),
        after,
        replay: (from, limit) => reads.notificationsAfter(em.fork(), viewer.id, from, limit),
        latest: () => reads.lastNotificationSeq(em.fork(), viewer.id),
        seqOf: (n) => n.seq,
        logger: deps.logger,
      });
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
