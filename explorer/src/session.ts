import { graphqlUrl } from './endpoints.ts';

export interface Session {
  email: string;
  accessToken: string;
  expiresAt: string;
}

const LOGIN = /* GraphQL */ `
  mutation ExplorerLogin($input: LoginInput!) {
    login(input: $input) { accessToken expiresAt }
  }`;

/** Runs the `login` mutation; throws with the API's own message when it refuses. */
export async function signIn(email: string, password: string): Promise<Session> {
  const response = await fetch(graphqlUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LOGIN, operationName: 'ExplorerLogin', variables: { input: { email, password } } }),
  });
  const body = (await response.json()) as {
    data?: { login?: { accessToken: string; expiresAt: string } } | null;
    errors?: { message: string }[];
  };
  const login = body.data?.login;
  if (!login) throw new Error(body.errors?.map((e) => e.message).join('; ') || `sign-in failed (HTTP ${response.status})`);
  return { email, accessToken: login.accessToken, expiresAt: login.expiresAt };
}

/** What the headers editor shows (and HTTP requests send) for a session. */
export function headersFor(session: Session | null): string {
  return session ? JSON.stringify({ Authorization: `Bearer ${session.accessToken}` }, null, 2) : '';
}
