import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { getOperationAST, Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { ErrorCode } from '../config/errors.ts';
import { inSpan, SpanKind } from '../telemetry/tracing.ts';
import { sendJson, type RouteHandler } from './http.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Sent with every GraphQL answer: a response is data, never a page to sniff, frame or leak the
 * URL of (the development landing page is a top-level page and is not framed either).
 */
export const GRAPHQL_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Reads a request body, refusing it as soon as it passes `limit` bytes (never buffers more). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body is larger than the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body is larger than the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface GraphQLRouteOptions<TContext extends BaseContext> {
  path?: string;
  /** Names the request's span (`<serviceName> POST /graphql`). */
  serviceName?: string;
  maxBodyBytes?: number;
  context: (req: IncomingMessage) => Promise<TContext>;
  /**
   * Called with the raw body bytes (empty for a GET) before anything is parsed or executed; an
   * HttpError returned is the answer instead (e.g. a subgraph's identity signature over the body).
   */
  admit?: (req: IncomingMessage, raw: Buffer) => HttpError | null;
  /**
   * Decides the document of every request before Apollo Server sees it (the gateway's trusted
   * documents): given the fields that name it (of a POST's JSON body, or a GET's URL), returns
   * the text to run in place of what was sent, or throws an HttpError that is the answer. The
   * request goes on with that text as its `query`, without `documentId` or a `persistedQuery`
   * extension. Done here rather than in an Apollo plugin: Apollo Server reads the persisted
   * query extension (APQ) right after `requestDidStart`, before any hook that could refuse with
   * a status of its own, and the subscription check below needs the text too.
   */
  resolveQuery?: (fields: { query?: unknown; documentId?: unknown; extensions?: unknown }) => string;
  /**
   * Answers a request without Apollo Server when it can (compiled-execution.ts, the gateway's
   * direct-answers.ts), with what Apollo Server would answer; null hands the request to Apollo
   * Server, and so does `{ context }`, with the context it is to run with (built and used already).
   */
  execute?: (req: IncomingMessage, body: unknown) => Promise<DirectAnswer | { context: TContext } | null>;
}

/** An answer made without Apollo Server: sent as `application/json`, with any headers given. */
export interface DirectAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/**
 * Apollo Server on a plain node:http server, so the same port can also carry graphql-ws,
 * health and metrics, and body limits and JSON errors are answered in GraphQL's own shape.
 */
export function graphqlRoute<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  options: GraphQLRouteOptions<TContext>,
): RouteHandler {
  const path = options.path ?? '/graphql';
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res, url) => {
    if (url.pathname !== path) return false;
    for (const [name, value] of Object.entries(GRAPHQL_SECURITY_HEADERS)) res.setHeader(name, value);
    let body: unknown;
    let search = url.search;
    try {
      const raw = req.method === 'POST' ? await readBody(req, limit) : Buffer.alloc(0);
      const refused = options.admit?.(req, raw);
      if (refused) throw refused;
      if (req.method === 'POST') body = parseJsonBody(raw, req.headers['content-type']);
      if (options.resolveQuery) ({ body, search } = withResolvedQuery(options.resolveQuery, req.method, body, url.searchParams));
      refuseSubscription(body, new URLSearchParams(search));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendError(res, err);
      if (err.status === 413) discardRest(req, limit * 8);
      return true;
    }
    // In the trace the caller started (its `traceparent`), or in a new one when sampled here.
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    const response = await inSpan(`${options.serviceName ?? 'graphql'} ${req.method ?? 'GET'} ${path}`, traceparent, SpanKind.SERVER, async () => {
      const direct = await options.execute?.(req, body);
      if (direct && 'status' in direct) return direct;
      const handedOver = direct?.context;
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      return server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
        context: handedOver ? async () => handedOver : () => options.context(req),
      });
    });
    if (typeof response.body === 'string') {
      const direct = response as DirectAnswer;
      res.statusCode = direct.status;
      if (direct.headers) for (const [key, value] of Object.entries(direct.headers)) res.setHeader(key, value);
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(direct.body);
      return true;
    }
    const apollo = response as Awaited<ReturnType<ApolloServer<TContext>['executeHTTPGraphQLRequest']>>;
    for (const [key, value] of apollo.headers) res.setHeader(key, value);
    res.statusCode = apollo.status ?? 200;
    if (apollo.body.kind === 'complete') {
      res.end(apollo.body.string);
      return true;
    }
    for await (const chunk of apollo.body.asyncIterator) res.write(chunk);
    res.end();
    return true;
  };
}

type ResolveQuery = NonNullable<GraphQLRouteOptions<BaseContext>['resolveQuery']>;

/** The request with the text `resolve` decides on as its `query`, and nothing else naming a document. */
function withResolvedQuery(resolve: ResolveQuery, method: string | undefined, body: unknown, params: URLSearchParams): { body: unknown; search: string } {
  if (method === 'POST') {
    // A batch, or a body that is not JSON, names no document: refused as one without a hash.
    const fields = isRecord(body) ? body : {};
    const { documentId: _documentId, extensions: _extensions, ...rest } = fields;
    const query = resolve(fields);
    // Apollo refuses an `extensions` key whose value is not an object: left out when none remain.
    const extensions = withoutPersistedQuery(fields.extensions);
    return { body: { ...rest, query, ...(extensions ? { extensions } : {}) }, search: '' };
  }
  // Other methods run nothing: Apollo Server answers them 405.
  if (method !== 'GET') return { body, search: params.size ? `?${params.toString()}` : '' };
  let extensions: unknown;
  try {
    extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The extensions parameter is not JSON');
  }
  const query = resolve({ query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions });
  const next = new URLSearchParams(params);
  next.delete('documentId');
  next.set('query', query);
  const rest = withoutPersistedQuery(extensions);
  if (rest) next.set('extensions', JSON.stringify(rest));
  else next.delete('extensions');
  return { body, search: `?${next.toString()}` };
}

function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (!isRecord(extensions)) return undefined;
  const { persistedQuery: _persistedQuery, ...rest } = extensions;
  return Object.keys(rest).length ? rest : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function parseJsonBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (!contentType || !/^application\/(graphql-response\+)?json\b/i.test(contentType)) {
    // Apollo's CSRF prevention decides what to do with other content types; pass the text on.
    return raw.toString('utf8');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'BAD_REQUEST', `Malformed JSON body: ${(err as Error).message}`);
  }
}

const MENTIONS_SUBSCRIPTION = /\bsubscription\b/;

/**
 * Subscriptions are served over WebSocket (graphql-ws) only. Over HTTP they reach no answer a
 * client could use: Apollo's gateway throws once execution starts, and before that graphql-js 16
 * throws out of validation when a subscription of the document (picked or not) has `@skip` or
 * `@include` on a root field (SingleFieldSubscriptionsRule evaluates them without variables);
 * Apollo Server reports either as a 500. Only texts that mention the keyword are parsed here, so
 * queries pay one regex test.
 */
function refuseSubscription(body: unknown, search: URLSearchParams): void {
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const query = fields ? fields.query : search.get('query');
  const operationName = fields ? fields.operationName : search.get('operationName');
  if (typeof query !== 'string' || !MENTIONS_SUBSCRIPTION.test(query)) return;
  let document: DocumentNode;
  try {
    // Bounded, as Apollo's own parse is: a long text is refused there, not parsed whole here.
    document = parse(query, { maxTokens: 10_000 });
  } catch {
    return; // Apollo Server answers the parse error (or the token limit) itself
  }
  if (skipsRootSubscriptionField(document)) {
    throw new HttpError(400, 'GRAPHQL_VALIDATION_FAILED', 'A subscription must not use @skip or @include on its root field');
  }
  if (getOperationAST(document, typeof operationName === 'string' ? operationName : undefined)?.operation === 'subscription') {
    throw new HttpError(400, 'BAD_REQUEST', 'Subscriptions are served over WebSocket (the graphql-transport-ws protocol) at this URL, not over HTTP');
  }
}

/** Whether a subscription's root selections (through fragments) carry `@skip` or `@include`. */
function skipsRootSubscriptionField(document: DocumentNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const visited = new Set<string>();
  const skips = (set: SelectionSetNode): boolean =>
    set.selections.some((s) => {
      if (s.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) return true;
      if (s.kind === Kind.INLINE_FRAGMENT) return skips(s.selectionSet);
      if (s.kind === Kind.FRAGMENT_SPREAD && !visited.has(s.name.value)) {
        visited.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        return fragment ? skips(fragment.selectionSet) : false;
      }
      return false;
    });
  return document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription' && skips(d.selectionSet));
}

function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code } }] });
}

/**
 * Reads and drops the rest of a refused body, so a proxy that is still sending it gets the answer
 * instead of a broken pipe; a client that keeps sending far past the limit is cut off.
 */
function discardRest(req: IncomingMessage, cap: number): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.socket.destroy();
  });
  req.resume();
}

export { ErrorCode };
