import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createDocumentCache } from '../src/realtime/document-cache.ts';

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Subscription { tick(topic: String!): Int! }
`);
const TICK = 'subscription T($topic: String!) { tick(topic: $topic) }';

describe('document cache', () => {
  it('hands every subscription of one query text the same parsed document', () => {
    const documents = createDocumentCache(schema);
    const first = documents(TICK);
    const second = documents(`${TICK}`);
    expect('document' in first && 'document' in second).toBe(true);
    expect((second as { document: unknown }).document).toBe((first as { document: unknown }).document);
    expect((documents('{ ok }') as { document: unknown }).document).not.toBe((first as { document: unknown }).document);
  });

  it('answers bad documents with coded errors, and keeps none of them', () => {
    const documents = createDocumentCache(schema, { size: 1 });
    const syntax = documents('subscription {');
    expect('errors' in syntax && syntax.errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = documents('subscription { nope }');
    expect('errors' in unknown && unknown.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect('errors' in unknown && unknown.errors[0]!.message).toContain('nope');
    // Invalid texts did not take the single slot: the valid document is still the cached one.
    const kept = documents(TICK);
    documents('subscription {');
    expect((documents(TICK) as { document: unknown }).document).toBe((kept as { document: unknown }).document);
  });

  it('keeps at most `size` documents, dropping the least recently used', () => {
    const documents = createDocumentCache(schema, { size: 2 });
    const a = documents('{ ok }') as { document: unknown };
    const tick = documents(TICK) as { document: unknown };
    documents('{ ok }'); // a is now the most recent
    documents('query Q { ok }'); // evicts TICK
    expect((documents('{ ok }') as { document: unknown }).document).toBe(a.document);
    expect((documents(TICK) as { document: unknown }).document).not.toBe(tick.document);
  });

  it('refuses documents over the token limit', () => {
    const documents = createDocumentCache(schema, { maxTokens: 10 });
    const result = documents(`{ ${'ok '.repeat(20)} }`);
    expect('errors' in result && result.errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});
