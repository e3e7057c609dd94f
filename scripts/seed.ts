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

// ---- finder: the demo accounts' profiles (through the API), then a few hundred generated professionals.
async function call(query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}
const DEMO_PROFILES: Record<string, { mutation: string; input: Record<string, unknown> }> = {
  'business@demo.finder.local': {
    mutation: 'mutation($input: BusinessProfileInput!) { upsertBusinessProfile(input: $input) { companyName } }',
    input: { companyName: 'Northwind Traders', industry: 'Retail', size: '51-200' },
  },
  'cfo@demo.finder.local': {
    mutation: 'mutation($input: ProfessionalProfileInput!) { upsertProfessionalProfile(input: $input) { headline } }',
    input: { headline: 'Fractional CFO for SaaS startups', bio: 'Board decks, fundraising models and FP&A for seed to Series B.', specialties: ['CFO', 'FPA'], hourlyRate: 220, location: 'Arlington', remote: true, yearsExperience: 18 },
  },
  'tax@demo.finder.local': {
    mutation: 'mutation($input: ProfessionalProfileInput!) { upsertProfessionalProfile(input: $input) { headline } }',
    input: { headline: 'Tax advisor for small businesses', bio: 'Federal and state returns, sales tax and R&D credits.', specialties: ['TAX', 'ACCOUNTING'], hourlyRate: 140, location: 'London', remote: true, yearsExperience: 11 },
  },
};
for (const [email, { mutation, input }] of Object.entries(DEMO_PROFILES)) {
  const { login } = await call('mutation($input: LoginInput!) { login(input: $input) { accessToken } }', { input: { email, password: DEMO_PASSWORD } });
  await call(mutation, { input }, login.accessToken);
}
console.log('  demo profiles published');
const { execFileSync } = await import('node:child_process');
execFileSync(process.execPath, ['subgraphs/finder/src/main.ts', 'seed', '--professionals', '300', '--businesses', '30'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, LOG_LEVEL: 'warn' },
});
