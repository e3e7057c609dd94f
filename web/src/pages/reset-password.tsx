import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { EmailField, NewPassword } from '../components/account-fields.tsx';
import { LinkProblem } from '../components/link-problem.tsx';
import { ProblemMessage } from '../components/problem.tsx';
import { useAction } from '../hooks.ts';
import { RequestPasswordResetDocument, ResetPasswordDocument } from '../operations.ts';
import { Link, navigate } from '../router.tsx';

/**
 * `/reset-password?token=…`, the reset mail's link: choose a new password. Without a token (the
 * sign-in page's "Forgot password?", the "you already have an account" mail): ask for that mail.
 */
export function ResetPassword({ token }: { token: string | null }) {
  return <main class="narrow">{token ? <NewPasswordForm token={token} /> : <RequestReset />}</main>;
}

function NewPasswordForm({ token }: { token: string }) {
  const [newPassword, setNewPassword] = useState('');
  const { run, busy, problem } = useAction(async () => {
    await client.request(ResetPasswordDocument, { token, newPassword });
    // The reset signed out every session of the account; this browser's too, if it had one.
    if (client.session.current()) await client.session.signOut();
    navigate('/sign-in?reset=1', { replace: true });
  });
  return (
    <>
      <h1>Choose a new password</h1>
      {problem?.field === 'token' ? (
        <LinkProblem problem={problem} href="/reset-password" action="Ask for a new link" />
      ) : (
        <form
          class="card form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <NewPassword name="newPassword" label="New password" value={newPassword} onInput={setNewPassword} invalid={problem?.field === 'newPassword'} />
          <ProblemMessage problem={problem} />
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Set new password'}
          </button>
        </form>
      )}
    </>
  );
}

function RequestReset() {
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { run, busy, problem } = useAction(async () => {
    const to = email.trim();
    await client.request(RequestPasswordResetDocument, { email: to });
    setSentTo(to);
  });
  return (
    <>
      <h1>Reset your password</h1>
      {sentTo ? (
        // Alike whether or not the email has an account: the server does not say, nor does this.
        <p class="card success" role="status">
          If {sentTo} has a Finder account, we sent it a link to choose a new password. The link works for one hour.
        </p>
      ) : (
        <form
          class="card form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <EmailField value={email} onInput={setEmail} invalid={problem?.field === 'email'} />
          <ProblemMessage problem={problem} />
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send reset link'}
          </button>
        </form>
      )}
      <p class="muted">
        Remembered it? <Link href="/sign-in">Sign in</Link>
      </p>
    </>
  );
}
