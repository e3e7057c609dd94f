import { gql, ok } from './graphql-client.ts';
import { uniqueEmail } from './ports.ts';

export type Role = 'BUSINESS' | 'PROFESSIONAL';

export interface TestUser {
  id: string;
  token: string;
  name: string;
}

/** Registers a real account through the public API; `name` is its display name. */
export async function registerUser(url: string, name: string, role: Role = 'BUSINESS'): Promise<TestUser> {
  const { register } = ok(
    await gql(url, `mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }`, {
      i: { email: uniqueEmail(name.toLowerCase().replace(/[^a-z0-9]+/g, '-')), password: 'correct horse battery', displayName: name, role },
    }),
  );
  return { id: register.user.id, token: register.accessToken, name };
}
