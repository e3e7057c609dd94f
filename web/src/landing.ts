import { useEffect } from 'preact/hooks';
import { conversations } from './live.ts';
import { navigate } from './router.tsx';

/**
 * Once an engagement is accepted, chat opens its conversation asynchronously (from finder's facts).
 * While `withUserId` is set, the first conversation with that person that was not in the list when
 * waiting began opens as soon as conversationUpdated announces it.
 */
export function useLandInNewConversation(withUserId: string | null): void {
  useEffect(() => {
    if (!withUserId) return;
    let known: Set<string> | null = null;
    const check = () => {
      const { list, loaded } = conversations.get();
      if (!loaded) return;
      if (!known) {
        known = new Set(list.map((c) => c.id));
        return;
      }
      const fresh = list.find((c) => !known!.has(c.id) && c.participants.some((p) => p.id === withUserId));
      if (fresh) navigate(`/conversations/${fresh.id}`);
    };
    check();
    return conversations.subscribe(check);
  }, [withUserId]);
}
