import { buildOperationContext } from '@apollo/gateway';

type OperationContext = ReturnType<typeof buildOperationContext>;
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type TypeNode,
  type ValueNode,
} from 'graphql';
import { documentText } from './keys.ts';
import type { LoadedSupergraph } from '../supergraph.ts';
import type { ViewerScope } from './viewer-scope.ts';

/** How the gateway resumes a subscription after an upstream failure: by re-sending `after`. */
export interface CursorArgument {
  /** Variable of the primary operation that carries `after`. */
  variable: string;
  /** The client's own starting cursor (null: from now on). */
  initial(variables: Record<string, unknown>): number | null;
}

export interface SubscriptionPlan {
  /** The fetch that subscribes on the owning subgraph (rewritten so `after` is a variable). */
  primary: FetchNode;
  /** Entity fetches that complete each event with fields owned by other subgraphs. */
  rest: PlanNode | undefined;
  operationContext: OperationContext;
  cursor: CursorArgument | null;
  /** What runs per event: `primary` answered by the event itself, then `rest`. */
  executable: QueryPlan;
  /**
   * Every selected field is declared viewer-independent: authorized callers with different
   * identities may share one upstream subscription and one execution per event.
   */
  viewerIndependent: boolean;
  /**
   * Every fetch of `rest` selects only viewer-independent fields: the completion of an event
   * depends on the event, the operation and its variables, not on the viewer (shared-completions.ts).
   */
  restViewerIndependent: boolean;
}

/** The name under which each event enters `executable`: a data source that answers with the event. */
export const EVENT_SOURCE = '__subscription_event__';

export class NotASubscriptionError extends Error {}

const CURSOR_ARG = 'after';
const CURSOR_VARIABLE = '__finder_after';

/**
 * Plans a subscription with Apollo's own query planner (a primary fetch plus the rest), and caches
 * plans by document and operation name.
 */
export function createSubscriptionPlanner(loaded: LoadedSupergraph, scope: ViewerScope, cacheSize = 1_000) {
  const cache = new Map<string, SubscriptionPlan>();

  return function planSubscription(document: DocumentNode, operationName: string | null | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\u0000${documentText(document)}`;
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    const operation = operationFromDocument(loaded.apiSchema, document, operationName ? { operationName } : {});
    const queryPlan = loaded.planner.buildQueryPlan(operation);
    const node = queryPlan.node;
    if (!node || node.kind !== 'Subscription') throw new NotASubscriptionError('Only subscription operations are served over WebSocket');
    const operationContext = buildOperationContext({
      schema: loaded.apiGraphQLSchema,
      operationDocument: document,
      operationName: operationName ?? undefined,
    });
    const { primary, cursor } = withCursorVariable(node.primary, operationContext.operation, loaded);
    const eventFetch: FetchNode = { ...primary, serviceName: EVENT_SOURCE };
    const plan: SubscriptionPlan = {
      primary,
      rest: node.rest,
      operationContext,
      cursor,
      executable: { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [eventFetch, node.rest] } : eventFetch },
      viewerIndependent: scope.operation(document),
      restViewerIndependent: fetchesOf(node.rest).every((fetch) => scope.entityFetch(fetch.operation)),
    };
    cache.set(key, plan);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return plan;
  };
}

/**
 * When the root field takes an `after` cursor, makes sure the primary operation passes it as a
 * variable, so a re-subscription can continue from the last delivered event.
 */
function withCursorVariable(
  primary: FetchNode,
  clientOperation: OperationDefinitionNode,
  loaded: LoadedSupergraph,
): { primary: FetchNode; cursor: CursorArgument | null } {
  const clientField = clientOperation.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD);
  const subscriptionType = loaded.apiGraphQLSchema.getSubscriptionType();
  const fieldDef = clientField && subscriptionType?.getFields()[clientField.name.value];
  const argDef = fieldDef?.args.find((a) => a.name === CURSOR_ARG);
  if (!clientField || !argDef) return { primary, cursor: null };

  const clientArg = clientField.arguments?.find((a) => a.name.value === CURSOR_ARG);
  const initial = (variables: Record<string, unknown>): number | null => {
    if (!clientArg) return null;
    const value = valueOf(clientArg.value, variables);
    return typeof value === 'number' ? value : null;
  };

  // A cursor the client already passes as a variable is overridden in place on re-subscription.
  if (clientArg?.value.kind === Kind.VARIABLE && primary.variableUsages?.includes(clientArg.value.name.value)) {
    return { primary, cursor: { variable: clientArg.value.name.value, initial } };
  }

  const document = parse(primary.operation);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const rootField = operation.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD)!;
  const variableType: TypeNode = parse(`query($v: ${argDef.type.toString().replace(/!$/, '')}) { x }`).definitions
    .map((d) => (d as OperationDefinitionNode).variableDefinitions![0]!.type)[0]!;
  const cursorArgument: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: CURSOR_ARG },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: CURSOR_VARIABLE } },
  };
  const rewritten: DocumentNode = {
    ...document,
    definitions: [
      {
        ...operation,
        operation: OperationTypeNode.SUBSCRIPTION,
        variableDefinitions: [
          ...(operation.variableDefinitions ?? []),
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: CURSOR_VARIABLE } },
            type: variableType,
          },
        ],
        selectionSet: {
          ...operation.selectionSet,
          selections: operation.selectionSet.selections.map((s) =>
            s === rootField
              ? { ...rootField, arguments: [...(rootField.arguments ?? []).filter((a) => a.name.value !== CURSOR_ARG), cursorArgument] }
              : s,
          ),
        },
      },
    ],
  };
  return {
    primary: {
      ...primary,
      operation: print(rewritten),
      operationDocumentNode: rewritten,
      variableUsages: [...(primary.variableUsages ?? []), CURSOR_VARIABLE],
    },
    cursor: { variable: CURSOR_VARIABLE, initial },
  };
}

function fetchesOf(node: PlanNode | undefined): FetchNode[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node];
    case 'Flatten':
      return fetchesOf(node.node);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchesOf);
    case 'Condition':
      return [...fetchesOf(node.ifClause), ...fetchesOf(node.elseClause)];
    case 'Defer':
      return [...fetchesOf(node.primary.node), ...node.deferred.flatMap((d) => fetchesOf(d.node))];
  }
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value] ?? null;
  if (node.kind === Kind.INT) return Number(node.value);
  return null;
}
