import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { createTokenVerifier } from '@finder/platform/auth';
import { createErrorFormatter } from '@finder/platform/errors';
import { graphqlRoute } from '@finder/platform/graphql-http';
import { createHttpServer, type HttpServer } from '@finder/platform/http';
import type { Logger } from '@finder/platform/logger';
import type { Registry } from 'prom-client';
import { createGatewayContext, type GatewayContext } from './context.ts';
import type { GatewayEnv } from './env.ts';
import { SignedSubgraphSource } from './subgraph-source.ts';

export interface Gateway {
  http: HttpServer;
  apollo: ApolloServer<GatewayContext>;
  start(port: number, host: string): Promise<number>;
  stop(): Promise<void>;
}

/** Builds the gateway without listening, so tests can run it on any port. */
export async function buildGateway({ env, logger, registry }: { env: GatewayEnv; logger: Logger; registry: Registry }): Promise<Gateway> {
  const production = env.NODE_ENV === 'production';
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(env.SUPERGRAPH_PATH, 'utf8'),
    buildService: ({ name, url }) => {
      const target = env.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`no URL for subgraph ${name}: set SUBGRAPH_${name.toUpperCase()}_URL`);
      return new SignedSubgraphSource(target, env.IDENTITY_SECRET, env.SUBGRAPH_TIMEOUT_MS);
    },
    logger,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorFormatter(logger, { maskInternal: production }),
    includeStacktraceInErrorResponses: !production,
    introspection: env.introspection,
    // On by default; clients send `Content-Type: application/json` (or `apollo-require-preflight: true`).
    csrfPrevention: true,
    plugins: [
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: { endpointIsEditable: false }, includeCookies: false }),
    ],
  });
  await apollo.start();

  const verifier = await createTokenVerifier({ publicKeyPem: env.jwtPublicKey, issuer: env.JWT_ISSUER });
  let ready = true;
  const http = createHttpServer({
    logger,
    registry,
    readiness: () => ({ gateway: { ok: ready } }),
    routes: [graphqlRoute(apollo, { maxBodyBytes: env.MAX_BODY_BYTES, context: (req) => createGatewayContext(req, verifier) })],
  });
  return {
    http,
    apollo,
    start: (port, host) => http.listen(port, host),
    async stop() {
      ready = false;
      http.drain();
      await http.close();
      await apollo.stop();
    },
  };
}
