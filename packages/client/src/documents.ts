import {
  Kind,
  getOperationAST,
  print,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type TypeNode,
} from 'graphql';
import { IDEMPOTENT_INPUT_TYPES } from './__generated__/idempotency.ts';

/** The streams that take an `after` cursor, and the field of their payload that is the cursor. */
export const RESUMABLE_FIELDS: Readonly<Record<string, string>> = {
  messageAdded: 'seq',
  notificationAdded: 'seq',
  conversionUpdated: 'version',
};

/** Where a mutation's idempotency key goes: a variable of its own, or a field of an input variable. */
export type KeySlot = { variable: string; inInput: boolean };

export interface Resumable {
  /** The response key of the root field (its alias or name). */
  responseKey: string;
  /** The response key of the cursor field inside it. */
  cursorKey: string;
  /** The variable the `after` argument is bound to. */
  afterVariable: string;
}

/** What the SDK needs to know of an operation, worked out once per document. */
export interface PreparedOperation {
  document: DocumentNode;
  text: string;
  /**
   * The SHA-256 (hex) under which the document is in the SDK's persisted documents manifest
   * (codegen's `__meta__.hash`); absent for a document of the caller's own, or one the SDK
   * changed (a resumable subscription missing its `after` variable or cursor).
   */
  hash: string | undefined;
  operationName: string | undefined;
  kind: 'query' | 'mutation' | 'subscription';
  keySlots: KeySlot[];
  resumable: Resumable | null;
}

const prepared = new WeakMap<DocumentNode, PreparedOperation>();

export function prepare(document: DocumentNode): PreparedOperation {
  let op = prepared.get(document);
  if (!op) {
    const operation = getOperationAST(document);
    if (!operation) throw new Error('The document must contain exactly one operation (or name it)');
    const resumable = operation.operation === 'subscription' ? findResumable(document, operation) : null;
    const finalDocument = resumable?.document ?? document;
    op = {
      document: finalDocument,
      text: print(finalDocument),
      hash: finalDocument === document ? persistedHash(document) : undefined,
      operationName: operation.name?.value,
      kind: operation.operation,
      keySlots: operation.operation === 'mutation' ? findKeySlots(operation) : [],
      resumable: resumable?.info ?? null,
    };
    prepared.set(document, op);
  }
  return op;
}

/** A request's fields naming its document: the hash alone when asked to and there is one, else the text. */
export function documentFields(op: PreparedOperation, persisted: boolean): { query: string; extensions?: { persistedQuery: { version: 1; sha256Hash: string } } } {
  // graphql-ws requires a string `query`; over HTTP the empty one is left out of the body as well.
  if (persisted && op.hash) return { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: op.hash } } };
  return { query: op.text };
}

function persistedHash(document: DocumentNode): string | undefined {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  return typeof hash === 'string' ? hash.replace(/^sha256:/, '') : undefined;
}

const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

function findKeySlots(operation: OperationDefinitionNode): KeySlot[] {
  const types = new Map((operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, namedType(d.type)]));
  const slots: KeySlot[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    for (const arg of selection.arguments ?? []) {
      if (arg.value.kind !== Kind.VARIABLE) continue;
      const variable = arg.value.name.value;
      if (arg.name.value === 'idempotencyKey') slots.push({ variable, inInput: false });
      else if (IDEMPOTENT_INPUT_TYPES.has(types.get(variable) ?? '')) slots.push({ variable, inInput: true });
    }
  }
  return slots;
}

/**
 * The cursor field among a payload's selections, directly or through the document's fragments
 * (the SDK's own operations select it in a fragment): only one that is always there counts, not
 * under `@skip`/`@include`, so the document is kept as it is, and its persisted hash holds.
 */
function findCursor(document: DocumentNode, selections: readonly SelectionNode[], cursorName: string, seen = new Set<string>()): FieldNode | undefined {
  for (const s of selections) {
    if (s.directives?.length) continue;
    if (s.kind === Kind.FIELD && s.name.value === cursorName && !s.arguments?.length) return s;
    if (s.kind === Kind.INLINE_FRAGMENT && !s.typeCondition) {
      const found = findCursor(document, s.selectionSet.selections, cursorName, seen);
      if (found) return found;
    }
    if (s.kind === Kind.FRAGMENT_SPREAD && !seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
      const found = fragment && findCursor(document, fragment.selectionSet.selections, cursorName, seen);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * A subscription to a resumable stream: its `after` must be a variable (the SDK moves it forward
 * as events arrive) and its payload must carry the cursor. What the document lacks is added: an
 * `$after: Int` variable and argument, and the cursor field.
 */
function findResumable(document: DocumentNode, operation: OperationDefinitionNode): { document: DocumentNode; info: Resumable } | null {
  const field = operation.selectionSet.selections.find(
    (s): s is FieldNode => s.kind === Kind.FIELD && s.name.value in RESUMABLE_FIELDS,
  );
  if (!field) return null;
  const cursorName = RESUMABLE_FIELDS[field.name.value]!;
  const afterArg = field.arguments?.find((a) => a.name.value === 'after');
  let afterVariable = afterArg?.value.kind === Kind.VARIABLE ? afterArg.value.name.value : null;
  const initialAfter = afterArg && afterArg.value.kind === Kind.INT ? Number(afterArg.value.value) : undefined;
  let newField: FieldNode = field;
  let variableDefinitions = operation.variableDefinitions ?? [];
  if (!afterVariable) {
    afterVariable = '__finderAfter';
    newField = {
      ...newField,
      arguments: [
        ...(field.arguments ?? []).filter((a) => a.name.value !== 'after'),
        { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'after' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: afterVariable } } },
      ],
    };
    variableDefinitions = [
      ...variableDefinitions,
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: afterVariable } },
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Int' } },
        ...(initialAfter !== undefined ? { defaultValue: { kind: Kind.INT, value: String(initialAfter) } } : {}),
      },
    ];
  }
  const selections = field.selectionSet?.selections ?? [];
  const cursorSelection = findCursor(document, selections, cursorName);
  let cursorKey = cursorSelection ? (cursorSelection.alias?.value ?? cursorName) : null;
  if (!cursorKey) {
    cursorKey = cursorName;
    const added: SelectionNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: cursorName } };
    newField = { ...newField, selectionSet: { kind: Kind.SELECTION_SET, selections: [...selections, added] } };
  }
  const info: Resumable = { responseKey: field.alias?.value ?? field.name.value, cursorKey, afterVariable };
  if (newField === field) return { document, info };
  const newOperation: OperationDefinitionNode = {
    ...operation,
    variableDefinitions,
    selectionSet: { ...operation.selectionSet, selections: operation.selectionSet.selections.map((s) => (s === field ? newField : s)) },
  };
  return { document: { ...document, definitions: document.definitions.map((d) => (d === operation ? newOperation : d)) }, info };
}
