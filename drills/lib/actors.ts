import { gql } from '@finder/testing/graphql-client';
import { uniqueEmail } from '@finder/testing/ports';

export interface Account {
  id: string;
  token: string;
  email: string;
}

/**
 * A set-up mutation with an idempotency key, retried while the failure is transient (a busy
 * machine makes nginx answer 503 now and then); refusals fail at once.
 */
export async function mutate(url: string, query: string, input: Record<string, unknown>, token?: string): Promise<Record<string, any>> {
  const idempotencyKey = `drill-setup-${crypto.randomUUID()}`;
  for (let attempt = 1; ; attempt++) {
    const result = await gql(url, query, { i: { ...input, idempotencyKey } }, { token }).catch((err: Error) => ({ status: 0, data: null, errors: [{ message: err.message, extensions: { code: 'NETWORK' } }] }));
    if (result.data && !result.errors?.length) return result.data as Record<string, any>;
    const code = result.errors?.[0]?.extensions?.code;
    if (code === 'BAD_USER_INPUT' || code === 'FORBIDDEN' || code === 'NOT_FOUND' || code === 'CONFLICT' || attempt >= 30) {
      throw new Error(`set-up mutation failed (${result.status}): ${JSON.stringify(result.errors)}`);
    }
    await new Promise((r) => setTimeout(r, 200 * Math.min(attempt, 10)));
  }
}

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }`;
export const PASSWORD = 'drill-password-2026';

export async function register(url: string, label: string, role: 'BUSINESS' | 'PROFESSIONAL'): Promise<Account> {
  const email = uniqueEmail(label);
  const { register } = await mutate(url, REGISTER, { email, password: PASSWORD, displayName: `Drill ${label}`, role });
  return { id: register.user.id, token: register.accessToken, email };
}

export async function startConversation(url: string, owner: Account, others: Account[]): Promise<string> {
  const mutation = `mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }`;
  return (await mutate(url, mutation, { participantIds: others.map((o) => o.id) }, owner.token)).startConversation.id as string;
}

export async function professionalProfile(url: string, pro: Account): Promise<void> {
  const mutation = `mutation($i: ProfessionalProfileInput!) { upsertProfessionalProfile(input: $i) { headline } }`;
  const input = { headline: 'Fractional CFO for drills', bio: 'Steady under load.', specialties: ['CFO'], hourlyRate: 150, remote: true, yearsExperience: 9 };
  await mutate(url, mutation, input, pro.token);
}

export async function businessProfile(url: string, business: Account): Promise<void> {
  const mutation = `mutation($i: BusinessProfileInput!) { upsertBusinessProfile(input: $i) { companyName } }`;
  await mutate(url, mutation, { companyName: 'Drill Traders', industry: 'Retail', size: '11-50' }, business.token);
}

/** The mutations the steady load sends; each selects the id the checks look up in Postgres. */
export const WRITES = {
  message: `mutation($i: SendMessageInput!) { sendMessage(input: $i) { id seq conversationId } }`,
  registration: REGISTER,
  engagement: `mutation($i: RequestEngagementInput!) { requestEngagement(input: $i) { id } }`,
  upload: `mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } } }`,
};

export const STREAMS = {
  messageAdded: `subscription($c: ID!, $after: Int) { messageAdded(conversationId: $c, after: $after) { id seq } }`,
  notificationAdded: `subscription($after: Int) { notificationAdded(after: $after) { id seq } }`,
};
