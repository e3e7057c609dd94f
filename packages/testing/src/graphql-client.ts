export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> & { code?: string } }[];
}

/** A small GraphQL-over-HTTP client for tests: no retries, no caching, every detail visible. */
export async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as object) };
  } catch {
    throw new Error(`non-JSON response (${response.status}): ${text.slice(0, 300)}`);
  }
}

/** The data of a result that must have succeeded; otherwise fails with the errors shown. */
export function ok<T>(result: GraphQLResult<T>): T {
  if (result.errors?.length || !result.data) {
    throw new Error(`GraphQL request failed (${result.status}): ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}

export const errorCodes = (result: GraphQLResult): (string | undefined)[] => (result.errors ?? []).map((e) => e.extensions?.code);
