import { useEffect, useState } from 'preact/hooks';
import { client } from '../client.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { describeError, type Problem } from '../errors.ts';
import { VerifyEmailDocument } from '../operations.ts';
import { Link } from '../router.tsx';

/** The page the verification mail links to: `/verify-email?token=…`. */
export function VerifyEmail({ token }: { token: string | null }) {
  const [state, setState] = useState<{ done?: boolean; problem?: Problem }>({});
  useEffect(() => {
    if (!token) {
      setState({ problem: { message: 'This link has no token. Open the link from the mail again.' } });
      return;
    }
    client.request(VerifyEmailDocument, { token }).then(
      () => setState({ done: true }),
      (err: unknown) => setState({ problem: describeError(err) }),
    );
  }, [token]);
  return (
    <main class="narrow">
      <h1>Email verification</h1>
      <div class="card">
        {!state.done && !state.problem && <p>Verifying…</p>}
        {state.done && (
          <p class="success" role="status">
            Thank you: your email is verified.
          </p>
        )}
        <ProblemMessage problem={state.problem} />
        <p>
          <Link href={client.session.current() ? '/search' : '/sign-in'}>Continue</Link>
        </p>
      </div>
    </main>
  );
}
