import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isEnumType, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';

/** schema/api.graphql: what clients see (npm run compose writes it; check:generated keeps it fresh). */
const schema = buildSchema(readFileSync(join(import.meta.dirname, '../../schema/api.graphql'), 'utf8'));
const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
  (t): t is GraphQLObjectType => Boolean(t),
);

describe('the client API schema', () => {
  it('describes every root field and every argument of one', () => {
    const missing: string[] = [];
    for (const root of roots) {
      for (const field of Object.values(root.getFields())) {
        if (!field.description?.trim()) missing.push(`${root.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${root.name}.${field.name}(${arg.name})`);
      }
    }
    expect(missing, 'describe these in the subgraph schema.graphql that defines them').toEqual([]);
  });

  it('describes every enum value', () => {
    const missing = Object.values(schema.getTypeMap())
      .filter(isEnumType)
      .filter((type) => !type.name.startsWith('__'))
      .flatMap((type) => type.getValues().filter((v) => !v.description?.trim()).map((v) => `${type.name}.${v.name}`));
    expect(missing, 'describe these in the subgraph schema.graphql that defines them').toEqual([]);
  });

  it('gives every resumable stream the same documented `after`', () => {
    const subscription = schema.getSubscriptionType()!;
    const resumable = Object.values(subscription.getFields()).filter((f) => f.args.some((a) => a.name === 'after'));
    expect(resumable.map((f) => f.name).sort()).toEqual(['conversionUpdated', 'messageAdded', 'notificationAdded']);
    for (const field of resumable) {
      const after = field.args.find((a) => a.name === 'after')!;
      expect(String(after.type), field.name).toBe('Int');
      expect(after.description, field.name).toMatch(/Absent:\s+only\s.*\sfrom\s+now\s+on;\s+0:\s+every\s.*;\s+N:\s+every\s.*\s>\s+N/s);
    }
  });
});
