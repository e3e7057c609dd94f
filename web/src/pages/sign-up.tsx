import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { EmailField, NewPassword, RoleChoice } from '../components/account-fields.tsx';
import { ProblemMessage } from '../components/problem.tsx';
import { useAction } from '../hooks.ts';
import { StartRegistrationDocument } from '../operations.ts';
import { createSignUp, welcomePath } from '../registration.ts';
import { Link, navigate } from '../router.tsx';
import type { Role } from '../types.ts';

/** One per page load: once the server turned `register` down for registration by email, it is not asked again. */
const signUp = createSignUp({
  register: (form) => client.session.register(form),
  startRegistration: (email) => client.request(StartRegistrationDocument, { input: { email } }),
});

export function SignUp() {
  const [form, setForm] = useState({ displayName: '', email: '', password: '', role: 'BUSINESS' as Role });
  const [mailedTo, setMailedTo] = useState<string | null>(null);
  const set = (key: keyof typeof form) => (value: string) => setForm({ ...form, [key]: value });
  const { run, busy, problem } = useAction(async () => {
    const email = form.email.trim();
    const outcome = await signUp.submit({ ...form, email, displayName: form.displayName.trim() });
    if (outcome === 'mailed') setMailedTo(email);
    else navigate(welcomePath(form.role), { replace: true });
  });
  const invalid = (field: string) => (problem?.field === field ? { 'aria-invalid': true } : {});
  if (mailedTo) return <CheckInbox email={mailedTo} onAgain={() => setMailedTo(null)} />;
  return (
    <main class="narrow">
      <h1>Create your account</h1>
      <form
        class="card form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        {!signUp.byEmail && (
          <>
            <RoleChoice value={form.role} onChange={set('role')} />
            <label>
              Name
              <input name="displayName" required value={form.displayName} onInput={(e) => set('displayName')(e.currentTarget.value)} {...invalid('displayName')} />
            </label>
          </>
        )}
        <EmailField value={form.email} onInput={set('email')} invalid={problem?.field === 'email'} />
        {signUp.byEmail ? (
          <p class="hint">We will mail you a link to choose your name, account type and password.</p>
        ) : (
          <NewPassword name="password" label="Password" value={form.password} onInput={set('password')} invalid={problem?.field === 'password'} />
        )}
        <ProblemMessage problem={problem} />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p class="muted">
        Already have an account? <Link href="/sign-in">Sign in</Link>
      </p>
    </main>
  );
}

/** The same words whether or not the email has an account: the mail itself tells its owner. */
function CheckInbox({ email, onAgain }: { email: string; onAgain: () => void }) {
  return (
    <main class="narrow">
      <h1>Create your account</h1>
      <div class="card">
        <p class="success" role="status">
          Check your inbox: we sent a link to {email} to finish creating your account.
        </p>
        <p class="muted">
          No mail after a few minutes? Look in your spam folder, or{' '}
          <button class="link" onClick={onAgain}>
            try again
          </button>
          .
        </p>
      </div>
    </main>
  );
}
