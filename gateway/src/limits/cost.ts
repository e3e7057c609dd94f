import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * Static cost estimates from the demand-control directives that federation composes into the
 * supergraph (`@cost(weight)` on fields and types, `@listSize(assumedSize, slicingArguments,
 * sizedFields)` on list and connection fields), following the IBM GraphQL cost specification as
 * Apollo's router applies it: an object costs 1, a leaf 0, a root mutation field 10, unless
 * `@cost` says otherwise; a list multiplies the cost of what it selects by its size, taken from
 * the slicing argument the request passes (`first: 50`), else the field's `assumedSize`, else
 * `defaultListSize`. A connection's size applies to its `sizedFields` (`edges`, `nodes`).
 * Fragments on abstract types are all counted: an upper bound, never an underestimate.
 */
export interface CostModel {
  estimate(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): number;
}

interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

const OBJECT_COST = 1;
const LEAF_COST = 0;
const MUTATION_COST = 10;

export function createCostModel(supergraph: GraphQLSchema, options: { defaultListSize: number }): CostModel {
  const fieldWeights = new Map<string, number>();
  const typeWeights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  for (const type of Object.values(supergraph.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const weight = costWeight(type.astNode?.directives, type.extensionASTNodes.flatMap((n) => n.directives ?? []));
    if (weight !== undefined) typeWeights.set(type.name, weight);
    if (!('getFields' in type)) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const directives = field.astNode?.directives ?? [];
      const fieldWeight = costWeight(directives);
      if (fieldWeight !== undefined) fieldWeights.set(`${type.name}.${field.name}`, fieldWeight);
      const size = listSize(directives);
      if (size) listSizes.set(`${type.name}.${field.name}`, size);
    }
  }
  const mutationType = supergraph.getMutationType()?.name;

  return {
    estimate(document, operationName, variables = {}) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      let operation: OperationDefinitionNode | undefined;
      for (const definition of document.definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
        else if (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)) operation ??= definition;
      }
      if (!operation) return 0;
      const root = operation.operation === 'query' ? supergraph.getQueryType() : operation.operation === 'mutation' ? supergraph.getMutationType() : supergraph.getSubscriptionType();
      if (!root) return 0;

      // The value a request passes, else the argument's default in the schema (`first: Int = 20`).
      const argument = (node: FieldNode, field: GraphQLField<unknown, unknown>, name: string): unknown => {
        const arg = node.arguments?.find((a) => a.name.value === name);
        const value = arg ? valueFromASTUntyped(arg.value as ValueNode, variables) : undefined;
        return value ?? field.args.find((a) => a.name === name)?.defaultValue;
      };

      const selectionCost = (set: SelectionSetNode, parent: GraphQLNamedType, sized: { names: string[]; size: number } | null, seen: Set<string>): number => {
        let total = 0;
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            total += fieldCost(selection, parent, sized, seen);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            const on = selection.typeCondition ? (supergraph.getType(selection.typeCondition.name.value) ?? parent) : parent;
            total += selectionCost(selection.selectionSet, on, sized, seen);
          } else {
            const fragment = fragments.get(selection.name.value);
            // A fragment that spreads itself is invalid and refused by validation; count it once here.
            if (!fragment || seen.has(fragment.name.value)) continue;
            const on = supergraph.getType(fragment.typeCondition.name.value) ?? parent;
            const inner = new Set(seen).add(fragment.name.value);
            total += selectionCost(fragment.selectionSet, on, sized, inner);
          }
        }
        return total;
      };

      const fieldCost = (node: FieldNode, parent: GraphQLNamedType, sized: { names: string[]; size: number } | null, seen: Set<string>): number => {
        if (node.name.value.startsWith('__') || !('getFields' in parent)) return 0;
        const field = (parent.getFields() as Record<string, GraphQLField<unknown, unknown>>)[node.name.value];
        if (!field) return 0;
        const key = `${parent.name}.${field.name}`;
        const named = getNamedType(field.type);
        const composite = isCompositeType(named);
        const weight =
          fieldWeights.get(key) ??
          (parent.name === mutationType ? MUTATION_COST : undefined) ??
          typeWeights.get(named.name) ??
          (composite ? OBJECT_COST : LEAF_COST);

        const declared = listSizes.get(key);
        const requested = declared?.slicingArguments
          ? maxNumber(declared.slicingArguments.map((name) => argument(node, field, name)))
          : maxNumber(['first', 'last', 'limit'].map((name) => argument(node, field, name)));
        const size = requested ?? declared?.assumedSize ?? options.defaultListSize;
        const isList = isListType(getNullableType(field.type));
        // A connection (`@listSize(sizedFields: [...])`, or by convention a type ending in
        // Connection with a slicing argument) passes its size on to those fields.
        const connectionFields = declared?.sizedFields ?? (named.name.endsWith('Connection') && requested !== undefined ? ['edges', 'nodes'] : undefined);
        let multiplier = isList ? size : 1;
        if (sized && sized.names.includes(field.name)) multiplier = sized.size;
        const children = node.selectionSet && composite
          ? selectionCost(node.selectionSet, named, connectionFields ? { names: connectionFields, size } : null, seen)
          : 0;
        return multiplier * (weight + children);
      };

      return selectionCost(operation.selectionSet, root, null, new Set());
    },
  };
}

function maxNumber(values: unknown[]): number | undefined {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0);
  return numbers.length > 0 ? Math.max(...numbers) : undefined;
}

/** A directive of the cost spec, by its imported name or its namespaced one (`@cost__listSize`). */
function directiveArgs(directives: readonly ConstDirectiveNode[] | undefined, name: string): Record<string, unknown> | undefined {
  const directive = directives?.find((d) => d.name.value === name || d.name.value === `cost__${name}`);
  if (!directive) return undefined;
  return Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
}

function costWeight(...lists: (readonly ConstDirectiveNode[] | undefined)[]): number | undefined {
  for (const list of lists) {
    const args = directiveArgs(list, 'cost');
    const weight = Number(args?.weight);
    if (args && Number.isFinite(weight)) return weight;
  }
  return undefined;
}

function listSize(directives: readonly ConstDirectiveNode[]): ListSize | undefined {
  const args = directiveArgs(directives, 'listSize');
  if (!args) return undefined;
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined);
  return {
    assumedSize: typeof args.assumedSize === 'number' ? args.assumedSize : undefined,
    slicingArguments: strings(args.slicingArguments),
    sizedFields: strings(args.sizedFields),
  };
}
