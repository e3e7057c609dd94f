import {
  ERRORS,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isValidLeafValue,
  typenameFieldName,
  Variable,
  type CompositeType,
  type Operation,
  type OutputType,
  type Schema,
  type SelectionSet,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

/** The executor does not run this operation; Apollo's does (introspection, @defer, rewrites). */
export class UnsupportedOperation extends Error {}

type Variables = Record<string, unknown>;
/** True when the selection is left out (`@skip(if: true)`, `@include(if: false)`). */
type Skip = ((variables: Variables) => boolean) | null;

type TypeShape =
  | { kind: 'nonNull'; of: TypeShape; text: string }
  | { kind: 'list'; of: TypeShape; text: string }
  | { kind: 'composite'; name: string; text: string }
  | { kind: 'leaf'; valid: (value: unknown) => boolean; text: string };

interface FieldEntry {
  field: true;
  responseName: string;
  typename: boolean;
  skip: Skip;
  type: TypeShape;
  sub: Entry[] | null;
}
interface FragmentEntry {
  field: false;
  skip: Skip;
  /** Names of the types this fragment's condition applies to; null: no type condition. */
  appliesTo: Set<string> | null;
  conditionName: string | null;
  sub: Entry[];
}
type Entry = FieldEntry | FragmentEntry;

/** What response shaping needs of the API schema, resolved once per schema. */
interface SchemaFacts {
  all: Set<string>;
  objects: Set<string>;
  composites: Set<string>;
  subtypes: Map<string, Set<string>>;
}
const schemaFacts = new WeakMap<Schema, SchemaFacts>();
function factsOf(schema: Schema): SchemaFacts {
  let facts = schemaFacts.get(schema);
  if (facts) return facts;
  const types = [...schema.allTypes()];
  facts = { all: new Set(types.map((t) => t.name)), objects: new Set(), composites: new Set(), subtypes: new Map() };
  for (const type of types) {
    if (isObjectType(type)) facts.objects.add(type.name);
    if (isCompositeType(type)) {
      facts.composites.add(type.name);
      facts.subtypes.set(type.name, new Set(types.filter((t) => isSubtype(type, t)).map((t) => t.name)));
    }
  }
  schemaFacts.set(schema, facts);
  return facts;
}

/**
 * An operation's response shaping, compiled once: the same result as @apollo/gateway's
 * computeResponse (field order, `__typename`, null propagation and its errors), without walking
 * federation's operation model and its directives on every request.
 */
export interface ResponseShape {
  rootType: string;
  defaults: Variables;
  shape(input: Record<string, unknown>, variables: Variables | undefined): { data: Record<string, unknown> | null; errors: GraphQLError[] };
}

export function compileResponseShape(operation: Operation): ResponseShape {
  const schema = operation.schema();
  const facts = factsOf(schema);
  const skipDirective = schema.skipDirective();
  const includeDirective = schema.includeDirective();

  function skipOf(element: { appliedDirectivesOf(directive: unknown): readonly unknown[] }): Skip {
    const tests: ((variables: Variables) => boolean)[] = [];
    for (const [directive, skipWhen] of [
      [skipDirective, true],
      [includeDirective, false],
    ] as const) {
      const applied = (element.appliedDirectivesOf(directive) as { arguments(): { if: boolean | Variable } }[])[0];
      if (!applied) continue;
      const condition = applied.arguments().if;
      if (condition instanceof Variable) {
        const name = condition.name;
        const where = String(applied);
        tests.push((variables) => {
          const value = variables[name];
          if (typeof value !== 'boolean') throw new Error(`Unexpected value ${String(value)} for variable $${name} of ${where}`);
          return value === skipWhen;
        });
      } else if (condition === skipWhen) {
        tests.push(() => true);
      }
    }
    if (tests.length === 0) return null;
    if (tests.length === 1) return tests[0]!;
    return (variables) => tests.some((test) => test(variables));
  }

  function typeShape(type: OutputType): TypeShape {
    const text = type.toString();
    if (isNonNullType(type)) return { kind: 'nonNull', of: typeShape(type.ofType), text };
    if (isListType(type)) return { kind: 'list', of: typeShape(type.ofType), text };
    if (isCompositeType(type)) return { kind: 'composite', name: type.name, text };
    if (isEnumType(type)) {
      const values = new Set(type.values.map((v) => v.name));
      return { kind: 'leaf', valid: (value) => typeof value === 'string' && values.has(value), text };
    }
    return { kind: 'leaf', valid: (value) => isValidLeafValue(schema, value, type), text };
  }

  function compileSet(selectionSet: SelectionSet): Entry[] {
    const entries: Entry[] = [];
    for (const selection of selectionSet.selections()) {
      if (selection.kind === 'FieldSelection') {
        const field = selection.element;
        if (field.definition.isSchemaIntrospectionField()) throw new UnsupportedOperation('schema introspection');
        entries.push({
          field: true,
          responseName: field.responseName(),
          typename: field.name === typenameFieldName,
          skip: skipOf(field),
          type: typeShape(field.definition.type!),
          sub: selection.selectionSet ? compileSet(selection.selectionSet) : null,
        });
      } else {
        const fragment = selection.element;
        const condition: CompositeType | undefined = fragment.typeCondition;
        entries.push({
          field: false,
          skip: skipOf(fragment),
          appliesTo: condition ? (facts.subtypes.get(condition.name) ?? new Set([condition.name])) : null,
          conditionName: condition?.name ?? null,
          sub: compileSet(selection.selectionSet),
        });
      }
    }
    return entries;
  }

  const root = compileSet(operation.selectionSet);
  const rootType = schema.schemaDefinition.rootType(operation.rootKind)!.name;
  const defaults = operation.collectDefaultedVariableValues() as Variables;

  return {
    rootType,
    defaults,
    shape(input, provided) {
      const run: Run = { variables: { __proto__: null, ...defaults, ...provided } as Variables, errors: [], facts };
      const data = Object.create(null) as Record<string, unknown>;
      const ok = applySet(run, input, root, data, [], rootType);
      return { data: ok ? data : null, errors: run.errors };
    },
  };
}

interface Run {
  variables: Variables;
  errors: GraphQLError[];
  facts: SchemaFacts;
}

type Path = (string | number)[];

function describe(path: Path, currentType: string, parentType: string): string {
  const element = path[path.length - 1];
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

/** False when a null must bubble up to the parent (a non-null field of this object is null). */
function applySet(run: Run, input: Record<string, unknown>, entries: Entry[], output: Record<string, unknown>, path: Path, parentType: string): boolean {
  for (const entry of entries) {
    if (entry.skip && entry.skip(run.variables)) continue;
    if (entry.field) {
      const { responseName } = entry;
      const outputValue = output[responseName];
      let inputValue = Object.hasOwn(input, responseName) ? (input[responseName] ?? null) : null;
      if (entry.typename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          // A name the schema knows wins (and must be an object type); anything else: the parent type.
          const type = typeof inputValue === 'string' && run.facts.all.has(inputValue) ? inputValue : parentType;
          if (!run.facts.objects.has(type)) return false;
          output[responseName] = type;
        }
        continue;
      }
      path.push(responseName);
      const result = update(run, outputValue, entry.type, inputValue, entry.sub, path, parentType);
      output[responseName] = result.updated;
      path.pop();
      if (result.invalid) return false;
    } else {
      const typename = input[typenameFieldName] as string | undefined;
      const applies = !entry.appliesTo || entry.appliesTo.has(typename ? typename : parentType);
      if (applies && !applySet(run, input, entry.sub, output, path, entry.conditionName ?? parentType)) return false;
    }
  }
  return true;
}

interface Updated {
  updated: unknown;
  invalid?: boolean;
  hasErrors?: boolean;
}

function update(run: Run, outputValue: unknown, type: TypeShape, inputValue: unknown, sub: Entry[] | null, path: Path, parentType: string): Updated {
  if (outputValue === null || (outputValue !== undefined && !sub)) return { updated: outputValue };
  if (type.kind === 'nonNull') {
    const { updated, hasErrors } = update(run, outputValue, type.of, inputValue, sub, path, parentType);
    if (updated === null) {
      if (!hasErrors) {
        run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describe(path, type.of.text, parentType)}.`, { path: Array.from(path) }));
      }
      return { updated, invalid: true, hasErrors: true };
    }
    return { updated };
  }
  if (inputValue === null) return { updated: null };
  if (type.kind === 'list') {
    if (!Array.isArray(inputValue)) throw new Error(`Invalid non-list value ${String(inputValue)} returned by subgraph for list type ${type.text}`);
    const outputList = outputValue === undefined ? new Array<unknown>(inputValue.length).fill(undefined) : (outputValue as unknown[]);
    let nullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(outputList.length);
    for (let i = 0; i < outputList.length; i++) {
      path.push(i);
      const element = update(run, outputList[i], type.of, inputValue[i], sub, path, parentType);
      path.pop();
      if (element.invalid) nullify = true;
      if (element.hasErrors) hasErrors = true;
      updated[i] = element.updated;
    }
    return { updated: nullify ? null : updated, hasErrors };
  }
  if (type.kind === 'composite') {
    if (typeof inputValue !== 'object') throw new Error(`Invalid non-object value ${String(inputValue)} returned by subgraph for composite type ${type.text}`);
    const object = inputValue as Record<string, unknown>;
    const inputTypename = object[typenameFieldName] as string | undefined;
    let objectType = type.name;
    if (inputTypename) {
      if (!run.facts.composites.has(inputTypename)) {
        run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describe(path, type.text, parentType)}.`, { path: Array.from(path) }));
        return { updated: null, hasErrors: true };
      }
      objectType = inputTypename;
    }
    const outputObject = outputValue === undefined ? (Object.create(null) as Record<string, unknown>) : (outputValue as Record<string, unknown>);
    const ok = applySet(run, object, sub!, outputObject, path, objectType);
    return { updated: ok ? outputObject : null, hasErrors: !ok };
  }
  const valid = type.valid(inputValue);
  if (!valid) run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, type.text, parentType)}.`, { path: Array.from(path) }));
  return { updated: valid ? inputValue : null, hasErrors: !valid };
}
