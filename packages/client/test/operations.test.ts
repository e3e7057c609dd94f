import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, getNamedType, isInputObjectType, Kind, parse, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as generated from '../src/__generated__/graphql.ts';
import { prepare } from '../src/documents.ts';

const root = join(import.meta.dirname, '../../..');
const schema = buildSchema(readFileSync(join(root, 'schema/api.graphql'), 'utf8'));
const operationsDir = join(import.meta.dirname, '../operations');
const operations = readdirSync(operationsDir)
  .filter((f) => f.endsWith('.graphql'))
  .flatMap((f) => parse(readFileSync(join(operationsDir, f), 'utf8')).definitions)
  .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

describe('the SDK operations', () => {
  it('cover every root field of the public API', () => {
    const used = new Set(
      operations.flatMap((op) =>
        op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [`${op.operation}.${s.name.value}`] : [])),
      ),
    );
    const roots: [string, GraphQLObjectType | null | undefined][] = [
      ['query', schema.getQueryType()],
      ['mutation', schema.getMutationType()],
      ['subscription', schema.getSubscriptionType()],
    ];
    const missing = roots.flatMap(([kind, type]) =>
      Object.keys(type?.getFields() ?? {}).filter((name) => !used.has(`${kind}.${name}`)).map((name) => `${kind}.${name}`),
    );
    expect(missing, 'add an operation for these to packages/client/operations/').toEqual([]);
  });

  it('pass every idempotency key slot as a variable, so the SDK can fill it', () => {
    const takesKey = (fieldName: string) =>
      schema.getMutationType()!.getFields()[fieldName]!.args.some((arg) => {
        if (arg.name === 'idempotencyKey') return true;
        const type = getNamedType(arg.type);
        return isInputObjectType(type) && 'idempotencyKey' in type.getFields();
      });
    const unfilled = operations
      .filter((op) => op.operation === 'mutation')
      .filter((op) => op.selectionSet.selections.some((f) => f.kind === Kind.FIELD && takesKey(f.name.value)))
      .filter((op) => prepare({ kind: Kind.DOCUMENT, definitions: [op] }).keySlots.length === 0)
      .map((op) => op.name?.value);
    expect(unfilled).toEqual([]);
  });
});

describe('resumable subscriptions', () => {
  it('bind `after` to a variable and select the cursor, adding what a document lacks', () => {
    const doc = parse('subscription { messageAdded(conversationId: "c", after: 5) { body } }');
    const op = prepare(doc);
    expect(op.resumable).toEqual({ responseKey: 'messageAdded', cursorKey: 'seq', afterVariable: '__finderAfter' });
    expect(op.text).toContain('$__finderAfter: Int = 5');
    expect(op.text).toContain('after: $__finderAfter');
    expect(op.text).toMatch(/body\s+seq/);
  });

  it('leave a document that already has both as it is', () => {
    const doc = parse('subscription S($a: Int) { n: notificationAdded(after: $a) { s: seq } }');
    const op = prepare(doc);
    expect(op.resumable).toEqual({ responseKey: 'n', cursorKey: 's', afterVariable: 'a' });
    expect(op.document).toBe(doc);
  });

  it('find a cursor selected through a fragment, and leave the document as it is', () => {
    const doc = parse('subscription S($a: Int) { messageAdded(conversationId: "c", after: $a) { ...F } } fragment F on Message { body n: seq }');
    const op = prepare(doc);
    expect(op.resumable).toEqual({ responseKey: 'messageAdded', cursorKey: 'n', afterVariable: 'a' });
    expect(op.document).toBe(doc);
  });
});

describe('persisted document hashes', () => {
  const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../src/__generated__/persisted-documents.json'), 'utf8')) as Record<string, string>;
  const documents = Object.entries(generated).filter(([name]) => name.endsWith('Document'));

  it('every SDK operation, subscriptions included, is sent under its hash in the manifest', () => {
    expect(documents.length).toBeGreaterThan(20);
    const missing = documents.filter(([, document]) => !(`sha256:${prepare(document as never).hash}` in manifest)).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it("a document of the caller's own has none", () => {
    expect(prepare(parse('{ me { id } }')).hash).toBeUndefined();
  });
});
