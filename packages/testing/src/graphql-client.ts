import { Agent as HttpAgent, request as httpRequest } from 'node:http';

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
  options: { token?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<GraphQLResult<T>> {
  const headers = {
    'content-type': 'application/json',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  const body = JSON.stringify({ query, variables });
  const response = options.localAddress ? await postFrom(options.localAddress, url, headers, body) : await fetch(url, { method: 'POST', headers, body });
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

const agents = new Map<string, HttpAgent>();

/**
 * A POST from a given loopback address (127.x.y.z), so that nginx sees a client of its own
 * (its per-address limits key on the peer address). fetch cannot choose its source address.
 */
function postFrom(localAddress: string, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text(): Promise<string> }> {
  let agent = agents.get(localAddress);
  if (!agent) agents.set(localAddress, (agent = new HttpAgent({ keepAlive: true, localAddress })));
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: async () => Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
