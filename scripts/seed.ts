/**
 * Seeds the demo accounts through the public API, so seeded data takes the same write path as
 * everything else. Idempotent: accounts that exist are left as they are.
 */
const url = process.env.SEED_URL ?? process.env.PUBLIC_URL ?? 'http://127.0.0.1:8080/graphql';

export const DEMO_PASSWORD = 'demo-password-2026';
export const DEMO_ACCOUNTS = [
  { email: 'business@demo.finder.local', displayName: 'Northwind Traders', role: 'BUSINESS' },
  { email: 'cfo@demo.finder.local', displayName: 'Grace Hopper, fractional CFO', role: 'PROFESSIONAL' },
  { email: 'tax@demo.finder.local', displayName: 'Ada Lovelace, tax advisor', role: 'PROFESSIONAL' },
] as const;

async function register(account: (typeof DEMO_ACCOUNTS)[number]): Promise<'created' | 'exists'> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation Seed($input: RegisterInput!) { register(input: $input) { user { id } } }',
      variables: { input: { ...account, password: DEMO_PASSWORD } },
    }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  if (!body.errors?.length) return 'created';
  if (body.errors[0]?.extensions?.code === 'CONFLICT') return 'exists';
  throw new Error(`seeding ${account.email} failed: ${body.errors.map((e) => e.message).join('; ')}`);
}

for (const account of DEMO_ACCOUNTS) {
  const result = await register(account);
  console.log(`  ${result === 'created' ? 'created' : 'exists '} ${account.role.padEnd(12)} ${account.email}`);
}
console.log(`  demo password: ${DEMO_PASSWORD}`);
