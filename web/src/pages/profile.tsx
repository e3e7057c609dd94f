import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { NotFound } from '../errors.ts';
import { money, specialtyLabel } from '../format.ts';
import { useAction, useLoad, useSession } from '../hooks.ts';
import { useLandInNewConversation } from '../landing.ts';
import { RequestEngagementDocument, UserDocument } from '../operations.ts';

export function Profile({ id }: { id: string }) {
  const session = useSession();
  const profile = useLoad(async () => {
    const data = await client.request(UserDocument, { id });
    if (!data.user) throw new NotFound(id);
    return data.user;
  }, [id]);
  const [message, setMessage] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  useLandInNewConversation(sentTo);
  const request = useAction(async () => {
    await client.request(RequestEngagementDocument, { input: { professionalId: id, message: message.trim() } });
    setSentTo(id);
  });
  if (profile.problem) {
    return (
      <main class="narrow">
        <h1>Profile</h1>
        <ProblemMessage problem={profile.problem} />
      </main>
    );
  }
  const user = profile.data;
  if (!user) return <main class="narrow muted">Loading…</main>;
  const p = user.professionalProfile;
  return (
    <main class="narrow">
      <div class="card profile">
        <h1>{user.displayName}</h1>
        {p ? (
          <>
            <p class="headline">{p.headline}</p>
            <dl class="facts">
              <dt>Rate</dt>
              <dd>{money(p.hourlyRate, p.currency)} per hour</dd>
              <dt>Specialties</dt>
              <dd>{p.specialties.map(specialtyLabel).join(', ')}</dd>
              <dt>Experience</dt>
              <dd>{p.yearsExperience} years</dd>
              <dt>Where</dt>
              <dd>
                {p.location ?? 'Anywhere'}
                {p.remote ? ', works remotely' : ''}
              </dd>
              <dt>Rating</dt>
              <dd>{p.rating != null ? `★ ${p.rating.toFixed(1)} from ${p.reviewCount} reviews` : 'No reviews yet'}</dd>
            </dl>
            <p class="bio">{p.bio}</p>
          </>
        ) : (
          <p class="muted">This person has no professional profile.</p>
        )}
      </div>
      {p && session && session.userId !== id && (
        <div class="card">
          {sentTo ? (
            <p class="success" role="status">
              Request sent. The conversation with {user.displayName} opens here as soon as they accept.
            </p>
          ) : (
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                void request.run();
              }}
            >
              <label>
                Ask {user.displayName} to work with you
                <textarea
                  name="message"
                  rows={4}
                  placeholder="What do you need help with?"
                  value={message}
                  onInput={(e) => setMessage(e.currentTarget.value)}
                  aria-invalid={request.problem?.field === 'message'}
                />
              </label>
              <ProblemMessage problem={request.problem} />
              <button type="submit" disabled={request.busy}>
                {request.busy ? 'Sending…' : 'Request engagement'}
              </button>
            </form>
          )}
        </div>
      )}
    </main>
  );
}
