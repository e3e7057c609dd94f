import { badInput } from '@finder/platform/config';
import type { ConversationResolvers } from '../__generated__/resolvers-types.ts';
import { reads } from '../services/reads.ts';
import { decodeCursor, encodeCursor, pageSize } from '@finder/platform/server';

const isSeqCursor = (v: unknown): v is { seq: number } => typeof (v as { seq?: unknown })?.seq === 'number';

export const Conversation: ConversationResolvers = {
  __resolveReference: async ({ id }, { viewer, loaders }) => {
    if (!viewer) return null;
    const participants = await loaders.participants.load(id);
    return participants.some((p) => p.userId === viewer.id) ? loaders.conversation.load(id) : null;
  },
  participants: async (conversation, _args, { loaders }) =>
    (await loaders.participants.load(conversation.id)).map((p) => ({ __typename: 'User' as const, id: p.userId })),
  lastMessage: (conversation, _args, { loaders }) => loaders.lastMessage.load(conversation.id),
  unreadCount: async (conversation, _args, { viewer, loaders }) => {
    const me = (await loaders.participants.load(conversation.id)).find((p) => p.userId === viewer?.id);
    return me ? Math.max(0, conversation.lastSeq - me.lastReadSeq) : 0;
  },
  messages: async (conversation, args, { em }) => {
    if ((args.first != null || args.after != null) && (args.last != null || args.before != null)) {
      throw badInput('messages: page forward (first/after) or backward (last/before), not both', 'first');
    }
    const after = args.after ? decodeCursor(args.after, 'after', isSeqCursor).seq : undefined;
    const before = args.before ? decodeCursor(args.before, 'before', isSeqCursor).seq : undefined;
    const forward = args.first != null || args.after != null;
    const limit = forward ? pageSize(args.first, 'first', 20) : pageSize(args.last, 'last', 20);
    const rows = await reads.messagePage(em, conversation.id, { after, before, limit: limit + 1, descending: !forward });
    const more = rows.length > limit;
    const page = (more ? rows.slice(0, limit) : rows).sort((a, b) => a.seq - b.seq);
    const edges = page.map((node) => ({ cursor: encodeCursor({ seq: node.seq }), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: forward ? more : before !== undefined && before <= conversation.lastSeq,
        hasPreviousPage: forward ? (after ?? 0) > 0 : more,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },
};
