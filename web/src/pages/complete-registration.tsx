import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { NewPassword, RoleChoice } from '../components/account-fields.tsx';
import { LinkProblem, NO_TOKEN } from '../components/link-problem.tsx';
import { ProblemMessage } from '../components/problem.tsx';
import { useAction } from '../hooks.ts';
import { welcomePath } from '../registration.ts';
import { navigate } from '../router.tsx';
import type { Role } from '../types.ts';

/** The page the registration mail links to: `/complete-registration?token=…`. */
export function CompleteRegistration({ token }: { token: string | null }) {
  const [form, setForm] = useState({ displayName: '', password: '', role: 'BUSINESS' as Role });
  const set = (key: keyof typeof form) => (value: string) => setForm({ ...form, [key]: value });
  const { run, busy, problem } = useAction(async () => {
    await client.session.completeRegistration({ ...form, token: token!, displayName: form.displayName.trim() });
    navigate(welcomePath(form.role, true), { replace: true });
  });
  const refused = !token ? NO_TOKEN : problem?.field === 'token' ? problem : null;
  return (
    <main class="narrow">
      <h1>Finish creating your account</h1>
      {refused ? (
        <LinkProblem problem={refused} href="/sign-up" action="Ask for a new link" />
      ) : (
        <form
          class="card form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <RoleChoice value={form.role} onChange={set('role')} />
          <label>
            Name
            <input
              name="displayName"
              required
              value={form.displayName}
              onInput={(e) => set('displayName')(e.currentTarget.value)}
              {...(problem?.field === 'displayName' ? { 'aria-invalid': true } : {})}
            />
          </label>
          <NewPassword name="password" label="Password" value={form.password} onInput={set('password')} invalid={problem?.field === 'password'} />
          <ProblemMessage problem={problem} />
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create account'}
          </button>
        </form>
      )}
    </main>
  );
}
