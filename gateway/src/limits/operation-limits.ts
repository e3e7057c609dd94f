import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { ErrorCode } from '@finder/platform/config';
import {
  GraphQLError,
  Kind,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { createCostModel } from './cost.ts';

export interface OperationLimitSettings {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  defaultListSize: number;
}

/** A refused operation: the error to answer, and what the refusal counts as in metrics. */
export type LimitRefusal = GraphQLError;

/**
 * Limits every operation must keep before anything reaches a subgraph, over HTTP and WebSocket
 * alike: depth, aliases and directives (counted by graphql-armor's rules), root fields, and the
 * estimated cost from the supergraph's `@cost`/`@listSize` (cost.ts). The shape limits depend only
 * on the document, so they are checked once per parsed document; the cost depends on variables
 * (`first: $n`) and is estimated per request, a walk over the selections.
 * The token limit is the parser's own (`maxTokens`), applied where each path parses.
 */
export function createOperationLimits(apiSchema: GraphQLSchema, supergraphSchema: GraphQLSchema, settings: OperationLimitSettings) {
  const cost = createCostModel(supergraphSchema, { defaultListSize: settings.defaultListSize });
  const shapeChecked = new WeakMap<DocumentNode, GraphQLError | null>();
  // The estimate of a document without variables depends on nothing else: computed once per operation.
  const fixedEstimates = new WeakMap<DocumentNode, Map<string, number> | null>();

  function estimate(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): number {
    let fixed = fixedEstimates.get(document);
    if (fixed === undefined) {
      const usesVariables = document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && (d.variableDefinitions?.length ?? 0) > 0);
      fixedEstimates.set(document, (fixed = usesVariables ? null : new Map()));
    }
    if (!fixed) return cost.estimate(document, operationName, variables);
    let known = fixed.get(operationName ?? '');
    if (known === undefined) fixed.set(operationName ?? '', (known = cost.estimate(document, operationName, variables)));
    return known;
  }

  function checkShape(document: DocumentNode): GraphQLError | null {
    const known = shapeChecked.get(document);
    if (known !== undefined) return known;
    const found: string[] = [];
    const collect = { propagateOnRejection: false, exposeLimits: true, onReject: [(_ctx: ValidationContext | null, err: GraphQLError) => found.push(err.message.replace(/^Syntax Error: /, ''))] };
    validate(apiSchema, document, [
      // Depth counts fields only: a fragment spread is not a level of the response.
      maxDepthRule({ n: settings.maxDepth, flattenFragments: true, ...collect }),
      maxAliasesRule({ n: settings.maxAliases, ...collect }),
      maxDirectivesRule({ n: settings.maxDirectives, ...collect }),
    ]);
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const roots = countRootFields(definition, document);
      if (roots > settings.maxRootFields) found.push(`Root field limit of ${settings.maxRootFields} exceeded, found ${roots}.`);
    }
    const error = found.length > 0 ? operationLimit(found.join(' ')) : null;
    shapeChecked.set(document, error);
    return error;
  }

  return {
    settings,
    /** The refusal for this operation, or null when it keeps every limit. */
    check(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): LimitRefusal | null {
      return this.measure(document, operationName, variables).refusal;
    },
    /** The refusal, if any, and the estimated cost that budgets charge (budgets.ts). */
    measure(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): { refusal: LimitRefusal | null; estimate: number } {
      const shape = checkShape(document);
      if (shape) return { refusal: shape, estimate: 0 };
      const estimated = estimate(document, operationName, variables);
      if (estimated > settings.maxCost) {
        const refusal = new GraphQLError(`Operation cost ${estimated} exceeds the limit of ${settings.maxCost}; ask for fewer items (first/last) or fewer nested lists`, {
          extensions: { code: ErrorCode.COST_LIMIT_EXCEEDED, cost: estimated, limit: settings.maxCost },
        });
        return { refusal, estimate: estimated };
      }
      return { refusal: null, estimate: estimated };
    },
    estimate: (document: DocumentNode, operationName?: string | null, variables?: Record<string, unknown>) => cost.estimate(document, operationName, variables),
  };
}

export type OperationLimits = ReturnType<typeof createOperationLimits>;

export function operationLimit(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.OPERATION_LIMIT } });
}

/** graphql-js's parser refuses long documents itself; its message is recognised to give it our code. */
export function isTokenLimitError(error: { message: string }): boolean {
  // graphql 16 says "more that N tokens".
  return /Document contains more tha[nt] \d+ tokens/.test(error.message);
}

function countRootFields(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const count = (set: SelectionSetNode, seen: Set<string>): number => {
    let n = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) n += selection.name.value.startsWith('__') ? 0 : 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) n += count(selection.selectionSet, seen);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) n += count(fragment.selectionSet, new Set(seen).add(fragment.name.value));
      }
    }
    return n;
  };
  return count(operation.selectionSet, new Set());
}
