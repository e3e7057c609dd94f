import {
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  parse,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/**
 * The directive subgraphs put on fields whose value never depends on who asks. Subgraphs import it
 * from this spec and compose it (`@composeDirective`) so the supergraph carries it:
 *
 *   extend schema @link(url: "https://specs.finder.dev/viewer/v0.1", import: ["@viewerIndependent"])
 *     @composeDirective(name: "@viewerIndependent")
 *   directive @viewerIndependent on FIELD_DEFINITION
 *
 * On a Subscription field it promises that every viewer the subgraph authorizes with the same
 * arguments receives the same events; on any other field, that its value (and whether it is
 * visible at all) depends only on its parent object and arguments.
 */
export const VIEWER_INDEPENDENT = 'viewerIndependent';
export const VIEWER_SPEC_URL = 'https://specs.finder.dev/viewer/v0.1';

/**
 * Which supergraph fields are viewer-independent: a field counts only if it carries the directive
 * and exactly one subgraph resolves it (composition merges a directive on a field several
 * subgraphs resolve, so the gateway could not tell which of them promised it), or if it is part of
 * its type's key (the representation itself, known before any subgraph is asked).
 */
export function createViewerScope(supergraph: GraphQLSchema) {
  const independent = new Set<string>();
  for (const type of Object.values(supergraph.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeGraphs = joinGraphs(type.astNode?.directives, 'join__type');
    const keyFields = new Set(keysOf(type));
    for (const field of Object.values(type.getFields())) {
      const directives = field.astNode?.directives ?? [];
      const fieldGraphs = joinGraphs(directives, 'join__field');
      const resolvers = fieldGraphs.length > 0 ? fieldGraphs : typeGraphs;
      const declared = directives.some((d) => d.name.value === VIEWER_INDEPENDENT);
      if (keyFields.has(field.name) || (declared && resolvers.length === 1)) independent.add(`${type.name}.${field.name}`);
    }
  }

  const isIndependent = (parent: GraphQLCompositeType, field: string): boolean => {
    if (field.startsWith('__')) return true;
    const types: readonly GraphQLObjectType[] = isAbstractType(parent) ? supergraph.getPossibleTypes(parent) : [parent as GraphQLObjectType];
    return types.every((t) => independent.has(`${t.name}.${field}`));
  };

  function selectionIsIndependent(
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    seen: Set<string>,
  ): boolean {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (!isIndependent(parent, name)) return false;
        if (!selection.selectionSet) continue;
        const child = fieldType(parent, name);
        if (!child || !selectionIsIndependent(selection.selectionSet, child, fragments, seen)) return false;
      } else {
        let set: SelectionSetNode;
        let condition: string | undefined;
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          set = selection.selectionSet;
          condition = selection.typeCondition?.name.value;
        } else {
          const fragment = fragments.get(selection.name.value);
          if (!fragment) return false;
          if (seen.has(fragment.name.value)) continue;
          seen.add(fragment.name.value);
          set = fragment.selectionSet;
          condition = fragment.typeCondition.name.value;
        }
        const narrowed = condition ? supergraph.getType(condition) : parent;
        if (!narrowed || !isCompositeType(narrowed) || !selectionIsIndependent(set, narrowed, fragments, seen)) return false;
      }
    }
    return true;
  }

  function fieldType(parent: GraphQLCompositeType, name: string): GraphQLCompositeType | null {
    const types: readonly GraphQLObjectType[] = isAbstractType(parent) ? supergraph.getPossibleTypes(parent) : [parent as GraphQLObjectType];
    const field = types.map((t) => t.getFields()[name]).find(Boolean);
    const named = field && getNamedType(field.type);
    return named && isCompositeType(named) ? named : null;
  }

  const fetchCache = new Map<string, boolean>();

  return {
    /**
     * Whether every field a client operation selects (root field included, in every fragment) is
     * viewer-independent: then its results are the same for every authorized viewer.
     */
    operation(document: DocumentNode): boolean {
      const subscription = supergraph.getSubscriptionType();
      if (!subscription) return false;
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      return document.definitions.every(
        (d) => d.kind !== Kind.OPERATION_DEFINITION || (d.operation === 'subscription' && selectionIsIndependent(d.selectionSet, subscription, fragments, new Set())),
      );
    },
    /**
     * Whether an entity fetch of the plan selects only viewer-independent fields, so one request
     * (with any authorized caller's identity) can answer it for every caller.
     */
    entityFetch(operation: string): boolean {
      let known = fetchCache.get(operation);
      if (known !== undefined) return known;
      known = entityFetchIsIndependent(parse(operation));
      fetchCache.set(operation, known);
      if (fetchCache.size > 10_000) fetchCache.delete(fetchCache.keys().next().value!);
      return known;
    },
  };

  function entityFetchIsIndependent(document: DocumentNode): boolean {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.kind !== Kind.OPERATION_DEFINITION || operation.selectionSet.selections.length !== 1) return false;
    const root = operation.selectionSet.selections[0]!;
    if (root.kind !== Kind.FIELD || root.name.value !== '_entities' || !root.selectionSet) return false;
    // `_entities` returns the `_Entity` union: every member is reached through a typed fragment.
    return root.selectionSet.selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === '__typename';
      const condition = s.kind === Kind.INLINE_FRAGMENT ? s.typeCondition?.name.value : fragments.get(s.name.value)?.typeCondition.name.value;
      const set = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : fragments.get(s.name.value)?.selectionSet;
      const type = condition ? supergraph.getType(condition) : undefined;
      return !!set && !!type && isCompositeType(type) && selectionIsIndependent(set, type, fragments, new Set());
    });
  }
}

export type ViewerScope = ReturnType<typeof createViewerScope>;

function joinGraphs(directives: readonly DirectiveNode[] | undefined, name: string): string[] {
  const graphs: string[] = [];
  for (const d of directives ?? []) {
    if (d.name.value !== name) continue;
    // External (provided) declarations count too: a subgraph that @provides a field resolves it on that path.
    const graph = d.arguments?.find((a) => a.name.value === 'graph')?.value;
    if (graph?.kind === Kind.ENUM) graphs.push(graph.value);
  }
  return graphs;
}

/** Top-level field names of every `@join__type(key:)` of a type. */
function keysOf(type: GraphQLObjectType): string[] {
  const names: string[] = [];
  for (const d of type.astNode?.directives ?? []) {
    if (d.name.value !== 'join__type') continue;
    const key = d.arguments?.find((a) => a.name.value === 'key')?.value;
    if (key?.kind !== Kind.STRING) continue;
    const operation = parse(`{ ${key.value} }`).definitions[0];
    if (operation?.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const s of operation.selectionSet.selections) if (s.kind === Kind.FIELD) names.push(s.name.value);
  }
  return names;
}
