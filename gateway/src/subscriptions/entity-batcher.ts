import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Viewer } from '@finder/platform/auth';
import { stableJson, viewerKey } from './keys.ts';

type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;
type ResponseError = NonNullable<Response['errors']>[number];

interface Caller {
  /** Index in the batch's representations of each of this caller's representations. */
  positions: number[];
  resolve(response: Response): void;
  reject(error: unknown): void;
}

interface Batch {
  first: GraphQLDataSourceProcessOptions;
  representations: unknown[];
  indexOf: Map<string, number>;
  callers: Caller[];
}

/**
 * Entity fetches of different subscription groups that complete events at the same moment (one
 * upstream event fanned out to many groups, or many groups of one viewer) become one `_entities`
 * request for their distinct representations. Fetches are merged only when the answer cannot
 * depend on who asks: same query and variables, and either the same viewer or a fetch that selects
 * only viewer-independent fields. The merged request carries the first caller's signed identity.
 */
export function createEntityBatcher(options: {
  /** Whether an entity fetch's operation selects only viewer-independent fields. */
  independent(operation: string): boolean;
  /** How long a batch collects fetches; 0 = until the event loop has handled pending I/O. */
  windowMs: number;
}) {
  const schedule = (run: () => void) => (options.windowMs > 0 ? setTimeout(run, options.windowMs).unref() : setImmediate(run));

  return function batched(source: GraphQLDataSource): GraphQLDataSource {
    const open = new Map<string, Batch>();

    async function run(batch: Batch) {
      if (batch.callers.length === 1 && batch.representations.length === batch.callers[0]!.positions.length) {
        const [caller] = batch.callers;
        return source.process(batch.first).then(caller!.resolve, caller!.reject);
      }
      const { request } = batch.first;
      let response: Response;
      try {
        response = await source.process({
          ...batch.first,
          request: { ...request, variables: { ...request.variables, representations: batch.representations } },
        } as GraphQLDataSourceProcessOptions);
      } catch (err) {
        for (const caller of batch.callers) caller.reject(err);
        return;
      }
      const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
      for (const caller of batch.callers) caller.resolve(slice(response, entities, caller.positions));
    }

    return {
      process(processOptions) {
        const { request, context } = processOptions;
        const representations = request.variables?.representations;
        if (!request.query || !Array.isArray(representations)) return source.process(processOptions);
        const { representations: _, ...variables } = request.variables!;
        const scope = options.independent(request.query) ? '*' : viewerKey((context as { viewer?: Viewer | null }).viewer ?? null);
        const key = `${scope}\u0000${request.query}\u0000${stableJson(variables)}`;
        let batch = open.get(key);
        if (!batch) {
          const created: Batch = { first: processOptions, representations: [], indexOf: new Map(), callers: [] };
          open.set(key, created);
          schedule(() => {
            open.delete(key);
            void run(created);
          });
          batch = created;
        }
        const positions = representations.map((representation) => {
          const id = stableJson(representation);
          let index = batch.indexOf.get(id);
          if (index === undefined) {
            index = batch.representations.push(representation) - 1;
            batch.indexOf.set(id, index);
          }
          return index;
        });
        return new Promise<Response>((resolve, reject) => batch.callers.push({ positions, resolve, reject }));
      },
    };
  };
}

/**
 * One caller's share of a merged response: its entities in its own order (copies: the executor
 * merges later fetches into them), and the errors of its entities re-pointed at its own indexes.
 */
function slice(response: Response, entities: unknown[] | undefined, positions: number[]): Response {
  const errors: ResponseError[] = [];
  for (const error of response.errors ?? []) {
    const path = error.path;
    if (path?.[0] !== '_entities' || typeof path[1] !== 'number') {
      errors.push(error);
      continue;
    }
    positions.forEach((position, own) => {
      if (position === path[1]) errors.push({ ...error, path: ['_entities', own, ...path.slice(2)] } as ResponseError);
    });
  }
  const { errors: _all, ...rest } = response;
  return {
    ...rest,
    data: entities ? { ...response.data, _entities: positions.map((p) => structuredClone(entities[p] ?? null)) } : (response.data ?? null),
    ...(errors.length ? { errors } : {}),
  };
}
