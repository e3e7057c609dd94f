import type { Viewer } from '@finder/platform/auth';
import { badInput, type Logger, validate } from '@finder/platform/config';
import { gaplessStream, type PubSub } from '@finder/platform/realtime';
import type { Submit } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotificationSchema, type NotificationEntity } from '../entities/index.ts';
import { finderEvents } from '../events/finder-events.ts';
import { triggers } from '../triggers.ts';
import { decodeCursor, encodeCursor, toPage, type Page } from './cursor.ts';
import { idempotencyKeySchema, pageArgsSchema, validateArgs } from './validation.ts';

const seqCursor = z.object({ seq: z.number().int().min(0) });

/** A user's notifications: written by the persister from engagement events, read only by their user. */
export function createNotifications(deps: { submit: Submit<typeof finderEvents.schemas>; pubsub: PubSub; logger: Logger }) {
  return {
    async list(em: EntityManager, viewer: Viewer, args: { first?: number | null; after?: string | null }): Promise<Page<NotificationEntity> & { unreadCount: number }> {
      const { first, after } = validateArgs(pageArgsSchema, args);
      const before = after ? decodeCursor(after, seqCursor).seq : null;
      const [rows, unreadCount] = await Promise.all([
        em.find(
          NotificationSchema,
          { userId: viewer.id, ...(before !== null ? { seq: { $lt: before } } : {}) },
          { orderBy: { seq: 'desc' }, limit: first + 1 },
        ),
        em.count(NotificationSchema, { userId: viewer.id, readAt: null }),
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
      return gaplessStream<NotificationEntity>({
        pubsub: deps.pubsub,
        trigger: triggers.notificationAdded(viewer.id),
        after,
        replay: (from, limit) =>
          em.fork().find(NotificationSchema, { userId: viewer.id, seq: { $gt: from } }, { orderBy: { seq: 'asc' }, limit }),
        latest: async () => {
          const [row] = await em.fork().execute<{ n: number }[]>(
            'select coalesce(max(seq), 0)::int as n from finder.notifications where user_id = ?',
            [viewer.id],
          );
          return row?.n ?? 0;
        },
        seqOf: (n) => n.seq,
        logger: deps.logger,
      });
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
