/**
 * The compiled executor against Apollo's (ApolloGateway's executor: executeQueryPlan and its
 * post-processing) on the same plans and the same subgraph answers: every response must be the
 * same, byte for byte once serialized (data and its key order, errors, their paths and extensions).
 * Subgraphs are in-process (fixtures/differential/mock-subgraph.ts) and answer with random nulls,
 * field errors, and now and then one of them down.
 *
 * DIFFERENTIAL_SEED and DIFFERENTIAL_OPERATIONS change the seed and the number of random operations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloGateway, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { composeServices } from '@apollo/composition';
import { createLogger } from '@finder/platform/config';
import { getVariableValues, Kind, parse, type DefinitionNode, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileOperation, createCompiledExecutor, runCompiled, type GatewayExecutor } from '../src/executor/executor.ts';
import { createSubscriptionPlanner, EVENT_SOURCE } from '../src/subscriptions/plan.ts';
import { createViewerScope } from '../src/subscriptions/viewer-scope.ts';
import { withCompiledExecutor } from '../src/executor/gateway.ts';
import { loadSupergraph } from '../src/supergraph.ts';
import { subgraphs as platformSubgraphs } from '../../schema/subgraphs.ts';
import { documentedOperations, requestContext, serialized } from './fixtures/differential/compare.ts';
import { createMockSubgraph, type MockBehaviour, type MockSubgraph } from './fixtures/differential/mock-subgraph.ts';
import { seededRandom } from '@finder/platform/data';
import { createOperationGenerator, variablesFor } from './fixtures/differential/operations.ts';

const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 20261206);
const OPERATIONS = Number(process.env.DIFFERENTIAL_OPERATIONS ?? 2_000);
const root = new URL('../../', import.meta.url).pathname;
const here = new URL('./fixtures/', import.meta.url).pathname;
const logger = createLogger('executor-differential', 'silent');

interface World {
  name: string;
  mocks: Record<string, MockSubgraph>;
  behaviour: MockBehaviour;
  apollo: GatewayExecutor;
  compiled: GatewayExecutor;
  fallbacks: string[];
  apiSchema: ReturnType<typeof loadSupergraph>['apiGraphQLSchema'];
  loaded: ReturnType<typeof loadSupergraph>;
}

async function world(name: string, supergraphSdl: string, typeDefs: Record<string, DocumentNode>): Promise<World> {
  const behaviour: MockBehaviour = { seed: SEED, nullRate: 0.1, errorRate: 0.04 };
  const mocks = Object.fromEntries(Object.entries(typeDefs).map(([subgraph, defs]) => [subgraph, createMockSubgraph(subgraph, defs, () => behaviour)]));
  const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ name: subgraph }) => mocks[subgraph]!.source, logger });
  const { executor: apollo } = await gateway.load();
  const loaded = loadSupergraph(supergraphSdl);
  const fallbacks: string[] = [];
  const compiled = createCompiledExecutor({
    loaded,
    services: Object.fromEntries(Object.entries(mocks).map(([subgraph, mock]) => [subgraph, mock.source])),
    fallback: apollo!,
    onFallback: (reason) => fallbacks.push(reason),
  });
  return { name, mocks, behaviour, apollo: apollo!, compiled, fallbacks, apiSchema: loaded.apiGraphQLSchema, loaded };
}

function compose(services: Record<string, string>): { sdl: string; typeDefs: Record<string, DocumentNode> } {
  const typeDefs = Object.fromEntries(Object.entries(services).map(([name, file]) => [name, parse(readFileSync(file, 'utf8'))]));
  const result = composeServices(Object.entries(typeDefs).map(([name, defs]) => ({ name, url: `http://${name}.invalid/graphql`, typeDefs: defs })));
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return { sdl: result.supergraphSdl, typeDefs };
}

const memo = <T>(make: () => Promise<T>) => {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
};

const worlds = {
  catalog: memo(() => {
    const { sdl, typeDefs } = compose({
      products: join(here, 'differential/products.graphql'),
      people: join(here, 'differential/people.graphql'),
      inventory: join(here, 'differential/inventory.graphql'),
    });
    return world('catalog', sdl, typeDefs);
  }),
  posts: memo(() => {
    const { sdl, typeDefs } = compose({ posts: join(here, 'posts.graphql'), people: join(here, 'people.graphql') });
    return world('posts', sdl, typeDefs);
  }),
  platform: memo(() =>
    world(
      'platform',
      readFileSync(join(root, 'schema/supergraph.graphql'), 'utf8'),
      Object.fromEntries(platformSubgraphs.map((s) => [s.name, parse(readFileSync(join(root, s.schema), 'utf8'))])),
    ),
  ),
};

interface Outcome {
  same: boolean;
  report: string;
  errors: number;
}

/** Runs one operation on both executors with the same subgraph behaviour (one subgraph down, maybe). */
async function compare(w: World, query: string, document: DocumentNode, variables: Record<string, unknown>, seed: number, down: string | null): Promise<Outcome> {
  w.behaviour.seed = seed;
  if (down) w.mocks[down]!.down = true;
  try {
    const apollo = serialized(await w.apollo(requestContext(query, document, structuredClone(variables), logger)));
    const ours = serialized(await w.compiled(requestContext(query, document, structuredClone(variables), logger)));
    const errors = (JSON.parse(apollo) as { errors?: unknown[] }).errors?.length ?? 0;
    return {
      same: apollo === ours,
      errors,
      report: `[${w.name}] seed ${seed}${down ? `, ${down} down` : ''}\n${query}\nvariables: ${JSON.stringify(variables)}\n--- Apollo's executor:\n${apollo}\n--- compiled executor:\n${ours}`,
    };
  } finally {
    if (down) w.mocks[down]!.down = false;
  }
}

function expectSame(outcomes: Outcome[]) {
  const mismatches = outcomes.filter((o) => !o.same);
  if (mismatches.length) {
    console.error(`${mismatches.length} of ${outcomes.length} responses differ; the first ones:\n\n${mismatches.slice(0, 3).map((m) => m.report).join('\n\n')}`);
  }
  expect(mismatches.length, mismatches[0]?.report).toBe(0);
}

/**
 * Completes one subscription event both ways, as the gateway's subscription engine does
 * (completion.ts): the plan's primary fetch answered by the event (the owning subgraph's answer
 * to it), the rest fetched from the other subgraphs.
 */
async function compareCompletion(w: World, query: string, document: DocumentNode, variables: Record<string, unknown>, seed: number, down: string | null): Promise<Outcome> {
  const plan = createSubscriptionPlanner(w.loaded, createViewerScope(w.loaded.supergraphGraphQLSchema))(document, null);
  w.behaviour.seed = seed;
  const event = (await w.mocks[plan.primary.serviceName]!.source.process({ request: { query: plan.primary.operation, variables } } as never)) as { data?: unknown; errors?: unknown };
  if (down) w.mocks[down]!.down = true;
  try {
    const services = () => {
      const source: GraphQLDataSource = { process: async () => structuredClone(event) as never };
      return { ...Object.fromEntries(Object.entries(w.mocks).map(([name, mock]) => [name, mock.source])), [EVENT_SOURCE]: source };
    };
    const context = () => ({ request: { variables }, context: { viewer: null, requestId: 'differential' }, logger, metrics: {}, cache: undefined });
    const apolloResult = await executeQueryPlan(plan.executable, services() as ServiceMap, context() as never, plan.operationContext, w.loaded.supergraphGraphQLSchema, w.loaded.apiSchema);
    const compiled = compileOperation(w.loaded, plan.executable.node as never, plan.operationContext);
    const oursResult = await runCompiled(compiled, { services: services(), variables, requestContext: context(), errors: [] });
    // The engine sends data and errors; Apollo's valueCompletion extension does not reach clients.
    const apollo = serialized({ data: apolloResult.data, errors: apolloResult.errors } as never);
    const ours = serialized({ data: oursResult.data, errors: oursResult.errors } as never);
    return {
      same: apollo === ours,
      errors: apolloResult.errors?.length ?? 0,
      report: `[${w.name}] seed ${seed}${down ? `, ${down} down` : ''}\n${query}\nvariables: ${JSON.stringify(variables)}\nevent: ${JSON.stringify(event)}\n--- Apollo's executor:\n${apollo}\n--- compiled executor:\n${ours}`,
    };
  } finally {
    if (down) w.mocks[down]!.down = false;
  }
}

/**
 * The subgraph side: every request the gateway sent a mock subgraph was also answered by compiled
 * code (createDocumentCompiler, as the subgraph servers run queries), and the answers agree.
 */
function expectCompiledSubgraphsAgree(w: World): void {
  for (const [subgraph, mock] of Object.entries(w.mocks)) {
    expect(mock.compiledMismatches.length, `${w.name}'s ${subgraph}: ${mock.compiledMismatches[0]}`).toBe(0);
    // Most requests are queries without @skip or @include, and the random nulls and errors leave
    // many answers without an error.
    expect(mock.compiledChecked, `${w.name}'s ${subgraph}: requests answered by compiled code`).toBeGreaterThan(mock.requests / 4);
    expect(mock.compiledChecked - mock.compiledWithErrors, `${w.name}'s ${subgraph}: compiled answers without errors`).toBeGreaterThan(mock.compiledChecked / 4);
    console.log(`${w.name}'s ${subgraph}: ${mock.requests} requests, ${mock.compiledChecked} compiled, ${mock.compiledWithErrors} of them with errors`);
  }
}

describe('compiled executor against Apollo\'s executeQueryPlan', () => {
  it('answers every documented operation of the platform as Apollo does, with subgraphs failing', { timeout: 60_000 }, async () => {
    const platform = await worlds.platform();
    const random = seededRandom(SEED);
    const outcomes: Outcome[] = [];
    const subgraphNames = Object.keys(platform.mocks);
    for (const { document, query } of documentedOperations()) {
      for (let round = 0; round < 4; round++) {
        const down = round === 3 ? subgraphNames[Math.floor(random() * subgraphNames.length)]! : null;
        outcomes.push(await compare(platform, query, document, variablesFor(platform.apiSchema, document, random), SEED + round, down));
      }
    }
    expect(outcomes.length).toBeGreaterThan(100);
    expectSame(outcomes);
    expect(platform.fallbacks).toEqual([]);
    expectCompiledSubgraphsAgree(platform);
  });

  it(`answers ${OPERATIONS} random operations as Apollo does (seed ${SEED})`, { timeout: 110_000 }, async () => {
    const all = [await worlds.catalog(), await worlds.platform(), await worlds.posts()];
    // The catalog has the interfaces, unions and @requires; the platform is what runs.
    const shares = [0.5, 0.4, 0.1];
    const random = seededRandom(SEED);
    const outcomes: Outcome[] = [];
    for (const w of all) for (const mock of Object.values(w.mocks)) Object.assign(mock, { requests: 0, compiledChecked: 0, compiledWithErrors: 0 });
    for (const [i, w] of all.entries()) {
      const generate = createOperationGenerator(w.apiSchema, random);
      const count = Math.round(OPERATIONS * shares[i]!);
      const subgraphNames = Object.keys(w.mocks);
      let made = 0;
      for (let attempt = 0; made < count && attempt < count * 20; attempt++) {
        const operation = generate();
        if (!operation) continue;
        made++;
        const down = random() < 0.15 ? subgraphNames[Math.floor(random() * subgraphNames.length)]! : null;
        outcomes.push(await compare(w, operation.query, operation.document, operation.variables, SEED + made, down));
      }
      expect(made, `operations generated for ${w.name}`).toBe(count);
      expect(w.fallbacks, `operations of ${w.name} handed to Apollo's executor`).toEqual([]);
      expectCompiledSubgraphsAgree(w);
      // Every subgraph was asked (inventory's fields, for one, come only through entity fetches with @requires).
      for (const [subgraph, mock] of Object.entries(w.mocks)) expect(mock.requests, `requests to ${w.name}'s ${subgraph}`).toBeGreaterThan(count / 20);
    }
    expectSame(outcomes);
    // The subgraphs did fail: partial results and errors were compared, not only clean answers.
    expect(outcomes.filter((o) => o.errors > 0).length).toBeGreaterThan(OPERATIONS / 10);
  });

  it('hands introspection to Apollo\'s executor and answers as it does', { timeout: 30_000 }, async () => {
    const catalog = await worlds.catalog();
    catalog.fallbacks.length = 0;
    for (const query of ['{ __schema { queryType { name } } }', 'query Q { topBook { name } __type(name: "Book") { name kind } }']) {
      const outcome = await compare(catalog, query, parse(query), {}, SEED, null);
      expect(outcome.same, outcome.report).toBe(true);
    }
    expect(catalog.fallbacks).toEqual(['schema introspection', 'schema introspection']);
  });

  it('runs behind ApolloServer as its gateway: validation first, then the compiled executor, introspection on Apollo\'s', { timeout: 30_000 }, async () => {
    const { sdl, typeDefs } = compose({
      products: join(here, 'differential/products.graphql'),
      people: join(here, 'differential/people.graphql'),
      inventory: join(here, 'differential/inventory.graphql'),
    });
    const behaviour: MockBehaviour = { seed: SEED, nullRate: 0.1, errorRate: 0.04 };
    const mocks = Object.fromEntries(Object.entries(typeDefs).map(([subgraph, defs]) => [subgraph, createMockSubgraph(subgraph, defs, () => behaviour)]));
    const fallbacks: string[] = [];
    const server = (compiled: boolean) => {
      const gateway = new ApolloGateway({ supergraphSdl: sdl, buildService: ({ name }) => mocks[name]!.source, logger });
      const services = Object.fromEntries(Object.entries(mocks).map(([name, mock]) => [name, mock.source]));
      return new ApolloServer({
        gateway: compiled ? withCompiledExecutor(gateway, { loaded: loadSupergraph(sdl), services, onFallback: (reason) => fallbacks.push(reason) }) : gateway,
        logger,
        includeStacktraceInErrorResponses: false,
      });
    };
    const [apollo, compiled] = [server(false), server(true)];
    await Promise.all([apollo.start(), compiled.start()]);
    try {
      const answer = async (target: ApolloServer, query: string, variables: Record<string, unknown>) => {
        const response = await target.executeOperation({ query, variables });
        return JSON.stringify(response.body.kind === 'single' ? response.body.singleResult : null);
      };
      const cases: [string, Record<string, unknown>][] = [
        ['query Q($g: Genre) { products(filter: { genre: $g }) { __typename name ... on Book { pages weight author { name age } } ... on Film { director { name } shelf { code } } } }', { g: 'DRAMA' }],
        ['{ search(term: "x") { ... on Person { name reviews { stars book { weight inStock } } } ... on Film { minutes } } }', {}],
        ['{ products { nope } }', {}],
        ['query Q($n: Int!) { products(first: $n) { id } }', { n: 'many' }],
        ['{ __schema { types { name } } }', {}],
      ];
      for (const [query, variables] of cases) {
        for (let seed = 0; seed < 5; seed++) {
          behaviour.seed = SEED + seed;
          expect(await answer(compiled, query, variables), query).toBe(await answer(apollo, query, variables));
        }
      }
      // Only introspection went to Apollo's executor; the invalid operations never reached either.
      expect(fallbacks).toEqual(['schema introspection']);
      expect(await answer(compiled, cases[1]![0], {})).toContain('"search"');
    } finally {
      await Promise.all([apollo.stop(), compiled.stop()]);
    }
  });
  it('completes subscription events as Apollo does: every documented subscription, and random ones', { timeout: 60_000 }, async () => {
    const random = seededRandom(SEED);
    const outcomes: Outcome[] = [];
    for (const w of [await worlds.platform(), await worlds.posts()]) {
      const subgraphNames = Object.keys(w.mocks);
      const generate = createOperationGenerator(w.apiSchema, random);
      const operations = w.name === 'platform' ? documentedOperations('subscription').map((o) => ({ ...o, variables: variablesFor(w.apiSchema, o.document, random) })) : [];
      while (operations.length < (w.name === 'platform' ? 150 : 60)) {
        const generated = generate(4, 'subscription');
        if (generated) operations.push({ name: 'generated', ...generated, variables: generated.variables });
      }
      for (const [i, { query, document, variables }] of operations.entries()) {
        const down = random() < 0.15 ? subgraphNames[Math.floor(random() * subgraphNames.length)]! : null;
        // Variables that do not coerce are refused before a subscription starts (ws-server.ts).
        const definition = document.definitions.find((d: DefinitionNode): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
        if (getVariableValues(w.apiSchema, definition.variableDefinitions ?? [], variables).errors) continue;
        outcomes.push(await compareCompletion(w, query, document, variables, SEED + i, down));
      }
    }
    // Some events complete with errors (fields failing, a subgraph down): those paths are compared too.
    expect(outcomes.length).toBeGreaterThan(150);
    expect(outcomes.filter((o) => o.errors > 0).length).toBeGreaterThan(10);
    expectSame(outcomes);
  });
});
