import { client } from '../client.ts';
import { useConnection, useSession } from '../hooks.ts';
import { conversations, notifications } from '../live.ts';
import { Link, navigate } from '../router.tsx';
import { useStore } from '../store.ts';

const CONNECTION_LABELS: Record<string, string> = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
};

export function Header({ path }: { path: string }) {
  const session = useSession();
  const connection = useConnection();
  const { unread } = useStore(notifications);
  const { list } = useStore(conversations);
  const chatUnread = list.reduce((sum, c) => sum + c.unreadCount, 0);
  const nav = (href: string, label: string, badge = 0, testId?: string) => (
    <Link href={href} class={path.startsWith(href) ? 'active' : ''}>
      {label}
      {badge > 0 && (
        <span class="badge" data-testid={testId}>
          {badge}
        </span>
      )}
    </Link>
  );
  return (
    <header class="top">
      <Link href="/" class="brand">
        Finder
      </Link>
      {session && (
        <nav>
          {nav('/search', 'Find professionals')}
          {nav('/engagements', 'Engagements')}
          {nav('/conversations', 'Messages', chatUnread, 'messages-badge')}
          {nav('/notifications', 'Notifications', unread, 'notifications-badge')}
          {session.role === 'PROFESSIONAL' && nav('/profile', 'Your profile')}
        </nav>
      )}
      <div class="right">
        {CONNECTION_LABELS[connection] && (
          <span class="connection" role="status" data-state={connection}>
            {CONNECTION_LABELS[connection]}
          </span>
        )}
        {session && (
          <button
            class="link"
            onClick={() => {
              void client.session.signOut().finally(() => navigate('/sign-in'));
            }}
          >
            Sign out
          </button>
        )}
      </div>
    </header>
  );
}
