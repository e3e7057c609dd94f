import { useEffect } from 'preact/hooks';
import { time } from '../format.ts';
import { markNotificationsRead, notifications } from '../live.ts';
import { Link } from '../router.tsx';
import { useStore } from '../store.ts';
import type { NotificationItem } from '../types.ts';

function target(n: NotificationItem): string | null {
  if (n.conversation) return `/conversations/${n.conversation.id}`;
  if (n.engagementRequest) return '/engagements';
  return null;
}

export function Notifications() {
  const { items, loaded } = useStore(notifications);
  // Opening the list reads what it shows, including what arrives while it is open.
  useEffect(() => {
    void markNotificationsRead().catch(() => undefined);
  }, [items.length]);
  return (
    <main class="narrow">
      <h1>Notifications</h1>
      {loaded && items.length === 0 && <p class="muted">Nothing yet.</p>}
      <ul class="list">
        {items.map((n) => {
          const href = target(n);
          return (
            <li class={`card notification${n.read ? '' : ' unread'}`} key={n.seq} data-testid="notification">
              <div class="result-head">
                <strong>{href ? <Link href={href}>{n.title}</Link> : n.title}</strong>
                <span class="meta">{time(n.createdAt)}</span>
              </div>
              <p>{n.body}</p>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
