import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { Random } from './random.ts';

export type OperationKind = 'query' | 'mutation' | 'subscription';

export interface GeneratedOperation {
  kind: OperationKind;
  query: string;
  variables: Record<string, unknown>;
}

/** Strings that have broken parsers, tsquery builders, path handling and loggers elsewhere. */
const NASTY_STRINGS = [
  '',
  ' ',
  'tax',
  'accounting audit',
  "' OR 1=1 --",
  'a:* | !b & (c',
  '%_\\',
  '\u0000',
  '\ud800',
  '💥'.repeat(50),
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '..\\metrics',
  'constructor',
  '__proto__',
  'x'.repeat(5_000),
  'word '.repeat(400),
];
const NASTY_IDS = ['', '0', '-1', 'x', '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '1e309', 'f'.repeat(300), '__proto__'];
const NASTY_INTS = [0, -1, 1, 3, 100, 1_000_000, 2_147_483_647, -2_147_483_648];
const NASTY_FLOATS = [0, -1, 0.5, 1e308, -1e308, 3.14];

/** A JSON value of a type no GraphQL input coerces to `type`: the request cannot reach a resolver. */
export function uncoercible(type: GraphQLInputType): unknown {
  return isInputObjectType(getNamedType(type)) && !isListType(getNullableType(type)) ? 5 : { not: 'a scalar' };
}

/** Values a client could send for `type`: mostly well-typed, sometimes wrong in type or size. */
export function inputValue(random: Random, type: GraphQLInputType, depth = 0): unknown {
  if (random.chance(0.08)) return wrongValue(random);
  if (!isNonNullType(type) && random.chance(0.15)) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    return Array.from({ length: random.int(0, depth > 2 ? 1 : 3) }, () => inputValue(random, nullable.ofType, depth + 1));
  }
  const named = getNamedType(type);
  if (isEnumType(named)) return random.chance(0.9) ? random.pick(named.getValues()).name : 'NOT_A_VALUE';
  if (isInputObjectType(named)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(named.getFields())) {
      if (!isNonNullType(field.type) && random.chance(0.4)) continue;
      if (isNonNullType(field.type) && random.chance(0.05)) continue; // a required field missing
      value[field.name] = depth > 4 ? null : inputValue(random, field.type, depth + 1);
    }
    if (random.chance(0.05)) value.unknownField = 1;
    return value;
  }
  switch (named.name) {
    case 'ID':
      return random.pick(NASTY_IDS);
    case 'Int':
      return random.pick(NASTY_INTS);
    case 'Float':
      return random.pick(NASTY_FLOATS);
    case 'Boolean':
      return random.chance(0.5);
    default:
      return random.pick(NASTY_STRINGS);
  }
}

function wrongValue(random: Random): unknown {
  return random.pick([null, 1.5, 'text', true, {}, [], [[[]]], { a: { b: { c: {} } } }, 2 ** 53, -0, 'x'.repeat(20_000)]);
}

/** A GraphQL literal for a JSON value (objects as input objects, strings escaped as JSON does). */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, isListType(getNullableType(type)) ? (getNullableType(type) as { ofType: GraphQLInputType }).ofType : type)).join(', ')}]`;
  if (typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v, type)}`).join(', ')} }`;
  }
  if (typeof value === 'string' && isEnumType(getNamedType(type)) && /^[A-Z_]+$/.test(value)) return value;
  return JSON.stringify(value);
}

interface Builder {
  random: Random;
  schema: GraphQLSchema;
  variables: Record<string, unknown>;
  declarations: string[];
  fragments: string[];
}

function argumentsOf(b: Builder, field: GraphQLField<unknown, unknown>, breakOne: boolean): string {
  const required = field.args.filter((a) => isNonNullType(a.type));
  const broken = breakOne ? b.random.pick(required) : undefined;
  const parts: string[] = [];
  for (const arg of field.args) {
    if (arg === broken) {
      parts.push(`${arg.name}: ${variable(b, arg, uncoercible(arg.type))}`);
      continue;
    }
    if (!isNonNullType(arg.type) && b.random.chance(0.5)) continue;
    if (isNonNullType(arg.type) && b.random.chance(0.03)) continue; // a required argument missing
    const value = inputValue(b.random, arg.type);
    parts.push(`${arg.name}: ${b.random.chance(0.5) ? variable(b, arg, value) : literal(value, arg.type)}`);
  }
  if (b.random.chance(0.03)) parts.push('unknownArgument: 1');
  return parts.length ? `(${parts.join(', ')})` : '';
}

function variable(b: Builder, arg: GraphQLArgument, value: unknown): string {
  const name = `v${b.declarations.length}`;
  // Sometimes declared with a type the argument does not take (a validation error).
  const declared = b.random.chance(0.04) ? b.random.pick(['String', 'Int!', '[ID!]!', 'Boolean']) : String(arg.type);
  b.declarations.push(`$${name}: ${declared}`);
  if (!b.random.chance(0.03)) b.variables[name] = value; // else: a declared variable never sent
  return `$${name}`;
}

function directives(b: Builder): string {
  if (!b.random.chance(0.08)) return '';
  const directive = b.random.pick(['skip', 'include']);
  if (b.random.chance(0.5)) return ` @${directive}(if: ${b.random.chance(0.5)})`;
  const name = `v${b.declarations.length}`;
  b.declarations.push(`$${name}: Boolean!`);
  b.variables[name] = b.random.pick([true, false, null, 'yes', 1]);
  return ` @${directive}(if: $${name})`;
}

function selection(b: Builder, type: GraphQLNamedType, depth: number): string {
  if (isLeafType(type)) return '';
  if (depth > 5 || (depth > 2 && b.random.chance(0.4))) return ' { __typename }';
  if (isUnionType(type) || isInterfaceType(type)) {
    const possible = b.schema.getPossibleTypes(type);
    const parts = b.random.some(possible, 1, 2).map((t) => `... on ${t.name}${selection(b, t, depth + 1)}`);
    return ` { __typename ${parts.join(' ')} }`;
  }
  const object = type as GraphQLObjectType;
  const fields = b.random.some(Object.values(object.getFields()), 1, 4);
  const parts = fields.map((f, i) => {
    const alias = b.random.chance(0.05) ? `a${i}: ` : '';
    const inner = getNamedType(f.type);
    const sub = isLeafType(inner) ? '' : b.random.chance(0.02) ? '' : selection(b, inner, depth + 1); // '' on an object: invalid
    return `${alias}${f.name}${argumentsOf(b, f, false)}${directives(b)}${sub}`;
  });
  if (b.random.chance(0.05)) parts.push('noSuchField');
  if (b.random.chance(0.05)) {
    const fragment = `F${b.fragments.length}`;
    b.fragments.push(`fragment ${fragment} on ${object.name} { __typename }`);
    parts.push(`...${fragment}`);
  }
  return ` { ${parts.join(' ')} }`;
}

/**
 * A random operation over the API schema. Mutations always carry one required argument of a type
 * it cannot be coerced to, so none reaches a resolver: the fuzz must leave every row as it was.
 */
export function randomOperation(random: Random, schema: GraphQLSchema): GeneratedOperation {
  const kind: OperationKind = random.pick(['query', 'query', 'query', 'mutation', 'mutation', 'subscription']);
  const root = kind === 'query' ? schema.getQueryType()! : kind === 'mutation' ? schema.getMutationType()! : schema.getSubscriptionType()!;
  const b: Builder = { random, schema, variables: {}, declarations: [], fragments: [] };
  let candidates = Object.values(root.getFields());
  if (kind === 'mutation') candidates = candidates.filter((f) => f.args.some((a) => isNonNullType(a.type)));
  const fields = random.some(candidates, 1, kind === 'mutation' ? 1 : 2);
  const body = fields
    .map((f) => `${f.name}${argumentsOf(b, f, kind === 'mutation')}${kind === 'mutation' ? '' : directives(b)}${selection(b, getNamedType(f.type), 1)}`)
    .join(' ');
  const head = b.declarations.length ? `${kind} Fuzz(${b.declarations.join(', ')})` : `${kind} Fuzz`;
  return { kind, query: [`${head} { ${body} }`, ...b.fragments].join('\n'), variables: b.variables };
}

/** One to three edits of a text: deletions, duplications, stray punctuation, truncation. */
export function mangle(random: Random, text: string): string {
  let out = text;
  for (let i = random.int(1, 3); i > 0; i--) {
    const at = random.int(0, out.length);
    switch (random.int(0, 3)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + random.int(1, 8));
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at, at + random.int(1, 30)) + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + random.pick(['{', '}', '(', ')', '$', '@', '!', ':', '...', '"', '\\', '#', '\n', '\u0000', '"""', '[', '|']) + out.slice(at);
        break;
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}
