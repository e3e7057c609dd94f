import { time } from '../format.ts';
import { useSession } from '../hooks.ts';
import { conversations } from '../live.ts';
import { Link } from '../router.tsx';
import { useStore } from '../store.ts';

export function Conversations() {
  const session = useSession();
  const { list, loaded } = useStore(conversations);
  return (
    <main class="narrow">
      <h1>Messages</h1>
      {loaded && list.length === 0 && <p class="muted">No conversations yet. One opens when an engagement is accepted.</p>}
      <ul class="list">
        {list.map((c) => {
          const others = c.participants.filter((p) => p.id !== session?.userId);
          return (
            <li key={c.id}>
              <Link href={`/conversations/${c.id}`} class={`card conversation${c.unreadCount ? ' unread' : ''}`} data-testid="conversation">
                <div class="result-head">
                  <strong>{others.map((p) => p.displayName).join(', ') || 'Just you'}</strong>
                  {c.unreadCount > 0 && (
                    <span class="badge" data-testid="unread-count">
                      {c.unreadCount}
                    </span>
                  )}
                </div>
                <p class="meta">
                  {c.lastMessage ? `${c.lastMessage.sender.id === session?.userId ? 'You: ' : ''}${c.lastMessage.body}` : 'No messages yet'}
                  {c.lastMessage && ` · ${time(c.lastMessage.createdAt)}`}
                </p>
              </Link>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
