/**
 * The compiled executor against Apollo's over the stack's real subgraphs, through the gateway's
 * own signed data sources (keep-alive fetcher, identity, metrics): every documented query, as a
 * signed-in business and anonymously, must get the same response from both.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { createTokenVerifier } from '@finder/platform/auth';
import { createLogger } from '@finder/platform/config';
import { gql, ok } from '@finder/testing/graphql-client';
import { ROOT_DIR, stackEnv } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';
import { createCompiledExecutor } from '../src/executor/executor.ts';
import { SignedSubgraphSource } from '../src/subgraph-source.ts';
import { loadSupergraph } from '../src/supergraph.ts';
import { documentedOperations, requestContext, serialized } from './fixtures/differential/compare.ts';
import { seededRandom } from '@finder/platform/data';
import { variablesFor } from './fixtures/differential/operations.ts';

const env = stackEnv();
const logger = createLogger('executor-differential-e2e', 'silent');

describe('compiled executor against Apollo\'s over the real subgraphs', () => {
  it('answers every documented query as Apollo does, signed in and anonymous', { timeout: 90_000 }, async () => {
    const supergraphSdl = readFileSync(`${ROOT_DIR}/schema/supergraph.graphql`, 'utf8');
    const loaded = loadSupergraph(supergraphSdl);
    const identitySecret = env.IDENTITY_SECRET!;
    const url = (name: string) => env[`SUBGRAPH_${name.toUpperCase()}_URL`]!;
    const services = Object.fromEntries(loaded.subgraphs.map(({ name }) => [name, new SignedSubgraphSource(name, url(name), identitySecret, 15_000)]));
    const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ name }) => services[name]!, logger });
    const { executor: apollo } = await gateway.load();
    const fallbacks: string[] = [];
    const compiled = createCompiledExecutor({ loaded, services, fallback: apollo!, onFallback: (reason) => fallbacks.push(reason) });

    const { login } = ok(
      await gql(env.PUBLIC_URL!, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', {
        i: { email: 'business@demo.finder.local', password: 'demo-password-2026' },
      }),
    );
    const verifier = await createTokenVerifier({ publicKeyPem: readFileSync(env.JWT_PUBLIC_KEY_FILE!, 'utf8'), issuer: env.JWT_ISSUER ?? 'finder-realtime' });
    const viewers = [await verifier.verify(login.accessToken as string), null];

    const random = seededRandom(7);
    const queries = documentedOperations().filter(({ document }) => document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'query'));
    expect(queries.length).toBeGreaterThan(10);
    let withData = 0;
    for (const { query, document } of queries) {
      const variables = variablesFor(loaded.apiGraphQLSchema, document, random);
      for (const viewer of viewers) {
        const context = { viewer, requestId: 'differential-e2e' };
        const run = async () => {
          const theirs = serialized(await apollo!(requestContext(query, document, structuredClone(variables), logger, context)));
          const ours = serialized(await compiled(requestContext(query, document, structuredClone(variables), logger, context)));
          return { theirs, ours };
        };
        // Other tests write to the same stack meanwhile: a difference must persist to count.
        let answers = await run();
        for (let retry = 0; retry < 2 && answers.theirs !== answers.ours; retry++) answers = await run();
        expect(answers.ours, `${query}\nvariables: ${JSON.stringify(variables)}\nviewer: ${viewer?.id ?? 'anonymous'}\n--- Apollo's executor:\n${answers.theirs}`).toBe(answers.theirs);
        if (/"data":\{"[^"]+":\{/.test(answers.theirs.replace(/\s/g, ''))) withData++;
      }
    }
    // Real answers were compared, not only refusals.
    expect(withData).toBeGreaterThan(5);
    expect(fallbacks).toEqual([]);
    await gateway.stop();
  });
});
