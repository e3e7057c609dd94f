import { client } from './client.ts';
import {
  ConversationUpdatedDocument,
  MarkNotificationsReadDocument,
  ConversationsDocument,
  NotificationAddedDocument,
  NotificationsDocument,
} from './operations.ts';
import { createStore } from './store.ts';
import type { ConversationSummary, NotificationItem } from './types.ts';

/** The signed-in person's notifications, newest first, kept live by notificationAdded. */
export const notifications = createStore<{ items: NotificationItem[]; unread: number; loaded: boolean }>({ items: [], unread: 0, loaded: false });

/** The signed-in person's conversations (unread counts, last message), kept live by conversationUpdated. */
export const conversations = createStore<{ list: ConversationSummary[]; loaded: boolean }>({ list: [], loaded: false });

function upsertConversation(list: ConversationSummary[], next: ConversationSummary): ConversationSummary[] {
  const others = list.filter((c) => c.id !== next.id);
  return [next, ...others].sort((a, b) => activity(b).localeCompare(activity(a)));
}
const activity = (c: ConversationSummary) => c.lastMessage?.createdAt ?? c.createdAt;

/**
 * Loads both lists, then follows them live. Notifications resume after the newest loaded seq (the
 * SDK resumes from the last delivered one after a reconnect), so none is shown twice.
 */
export function startLive(): () => void {
  let stopped = false;
  const stops: (() => void)[] = [];

  void client.request(NotificationsDocument, { first: 30 }).then((data) => {
    if (stopped) return;
    const items = data.notifications.edges.map((e) => e.node);
    notifications.set({ items, unread: data.notifications.unreadCount, loaded: true });
    const after = items.reduce((max, n) => Math.max(max, n.seq), 0);
    stops.push(
      client.subscribe(NotificationAddedDocument, { after }, {
        next: ({ notificationAdded: n }) =>
          notifications.set((s) =>
            s.items.some((i) => i.seq === n.seq) ? s : { ...s, items: [n, ...s.items], unread: s.unread + (n.read ? 0 : 1) },
          ),
      }),
    );
  }, () => notifications.set((s) => ({ ...s, loaded: true })));

  // Subscribe first, then load: an update between the two is applied on top of the list.
  stops.push(
    client.subscribe(ConversationUpdatedDocument, {}, {
      next: ({ conversationUpdated: c }) => conversations.set((s) => ({ ...s, list: upsertConversation(s.list, c) })),
    }),
  );
  void client.request(ConversationsDocument, { first: 50 }).then((data) => {
    if (stopped) return;
    const loaded = data.me?.conversations.edges.map((e) => e.node) ?? [];
    conversations.set((s) => ({ list: s.list.reduce(upsertConversation, loaded.slice().sort((a, b) => activity(b).localeCompare(activity(a)))), loaded: true }));
  }, () => conversations.set((s) => ({ ...s, loaded: true })));

  return () => {
    stopped = true;
    for (const stop of stops) stop();
    notifications.set({ items: [], unread: 0, loaded: false });
    conversations.set({ list: [], loaded: false });
  };
}

/** Marks every loaded notification read (when the person opens the list). */
export async function markNotificationsRead(): Promise<void> {
  const upToSeq = notifications.get().items.reduce((max, n) => Math.max(max, n.seq), 0);
  if (!upToSeq || notifications.get().unread === 0) return;
  await client.request(MarkNotificationsReadDocument, { upToSeq });
  notifications.set((s) => ({ ...s, unread: 0, items: s.items.map((n) => ({ ...n, read: true })) }));
}
