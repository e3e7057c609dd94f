import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { useAction } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import type { Role } from '../types.ts';

export function SignUp() {
  const [form, setForm] = useState({ displayName: '', email: '', password: '', role: 'BUSINESS' as Role });
  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [key]: e.currentTarget.value });
  const { run, busy, problem } = useAction(async () => {
    await client.session.register({ ...form, email: form.email.trim(), displayName: form.displayName.trim() });
    navigate(form.role === 'PROFESSIONAL' ? '/profile?welcome=1' : '/search?welcome=1', { replace: true });
  });
  const invalid = (field: string) => (problem?.field === field ? { 'aria-invalid': true } : {});
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
        <fieldset class="choice">
          <legend>I am</legend>
          <label>
            <input type="radio" name="role" value="BUSINESS" checked={form.role === 'BUSINESS'} onChange={set('role')} /> a business looking for help
          </label>
          <label>
            <input type="radio" name="role" value="PROFESSIONAL" checked={form.role === 'PROFESSIONAL'} onChange={set('role')} /> a financial
            professional
          </label>
        </fieldset>
        <label>
          Name
          <input name="displayName" required value={form.displayName} onInput={set('displayName')} {...invalid('displayName')} />
        </label>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required value={form.email} onInput={set('email')} {...invalid('email')} />
        </label>
        <label>
          Password <span class="hint">(at least 10 characters)</span>
          <input
            name="password"
            type="password"
            autocomplete="new-password"
            required
            value={form.password}
            onInput={set('password')}
            {...invalid('password')}
          />
        </label>
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
