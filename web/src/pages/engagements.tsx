import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { time } from '../format.ts';
import { useAction, useLoad, useSession } from '../hooks.ts';
import { useLandInNewConversation } from '../landing.ts';
import { EngagementRequestsDocument, RespondToEngagementDocument } from '../operations.ts';
import { Link } from '../router.tsx';
import { notifications } from '../live.ts';
import { useStore } from '../store.ts';

const STATUS_LABELS: Record<string, string> = { PENDING: 'Waiting for an answer', ACCEPTED: 'Accepted', DECLINED: 'Declined', WITHDRAWN: 'Withdrawn' };

export function Engagements() {
  const session = useSession();
  // Reload when a notification arrives: a new request or an answer to one of ours.
  const { items } = useStore(notifications);
  const list = useLoad(() => client.request(EngagementRequestsDocument, { first: 50 }), [items.length]);
  const [openingWith, setOpeningWith] = useState<string | null>(null);
  useLandInNewConversation(openingWith);
  const respond = useAction(async (id: string, accept: boolean, businessId: string) => {
    if (accept) setOpeningWith(businessId);
    await client.request(RespondToEngagementDocument, { input: { id, accept } });
    if (!accept) list.reload();
  });
  const isProfessional = session?.role === 'PROFESSIONAL';
  const requests = list.data?.engagementRequests.edges.map((e) => e.node) ?? [];
  return (
    <main class="narrow">
      <h1>Engagements</h1>
      <ProblemMessage problem={list.problem ?? respond.problem} />
      {openingWith && !respond.problem && (
        <p class="success" role="status">
          Accepted. Opening your conversation…
        </p>
      )}
      {list.data && requests.length === 0 && (
        <p class="muted">
          {isProfessional ? 'No requests yet.' : <>No requests yet. <Link href="/search">Find a professional</Link> and ask them to work with you.</>}
        </p>
      )}
      <ul class="list">
        {requests.map((r) => {
          const other = isProfessional ? r.business : r.professional;
          return (
            <li class="card engagement" key={r.id} data-testid="engagement" data-status={r.status}>
              <div class="result-head">
                <strong>{other.displayName}</strong>
                <span class={`status status-${r.status.toLowerCase()}`}>{STATUS_LABELS[r.status] ?? r.status}</span>
              </div>
              <p class="quote">{r.message}</p>
              <p class="meta">{time(r.createdAt)}</p>
              {isProfessional && r.status === 'PENDING' && (
                <div class="actions">
                  <button disabled={respond.busy} onClick={() => void respond.run(r.id, true, r.business.id)}>
                    Accept
                  </button>
                  <button class="secondary" disabled={respond.busy} onClick={() => void respond.run(r.id, false, r.business.id)}>
                    Decline
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </main>
  );
}
