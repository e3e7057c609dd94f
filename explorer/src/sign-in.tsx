import { useState, type FormEvent } from 'react';
import { signIn, type Session } from './session.ts';

/** Email + password form running `login`; once signed in, who and until when, and sign out. */
export function SignIn({ session, onSession }: { session: Session | null; onSession(session: Session | null): void }) {
  const [email, setEmail] = useState('business@demo.finder.local');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSession(await signIn(email, password));
      setPassword('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (session) {
    return (
      <div className="explorer-session" data-testid="signed-in">
        <span>
          Signed in as <strong>{session.email}</strong>; token valid until {new Date(session.expiresAt).toLocaleTimeString()} (sent as
          the Authorization header and in connection_init)
        </span>
        <button type="button" onClick={() => onSession(null)}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <form className="explorer-session" onSubmit={(event) => void submit(event)} aria-label="Sign in">
      <label>
        Email <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Password{' '}
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {error ? (
        <span role="alert" className="explorer-error">
          {error}
        </span>
      ) : (
        <span className="explorer-hint">Anonymous until you sign in: subscriptions need a signed-in viewer.</span>
      )}
    </form>
  );
}
