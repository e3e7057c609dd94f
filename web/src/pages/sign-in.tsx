import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { EmailField } from '../components/account-fields.tsx';
import { ProblemMessage } from '../components/problem.tsx';
import { useAction } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';

/** `?reset=1`: arriving from a password reset. */
export function SignIn({ next, reset }: { next: string | null; reset: boolean }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { run, busy, problem } = useAction(async () => {
    await client.session.signIn(email.trim(), password);
    navigate(next ?? '/search', { replace: true });
  });
  return (
    <main class="narrow">
      <h1>Sign in</h1>
      {reset && (
        <p class="success" role="status">
          Your password is changed. Sign in with the new one.
        </p>
      )}
      <form
        class="card form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <EmailField value={email} onInput={setEmail} />
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <ProblemMessage problem={problem} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="muted">
        <Link href="/reset-password">Forgot password?</Link>
      </p>
      <p class="muted">
        New to Finder? <Link href="/sign-up">Create an account</Link>
      </p>
    </main>
  );
}
