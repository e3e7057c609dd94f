import { registerShutdown, tuneGarbageCollection } from '@finder/platform/server';
import { createLogger, createRegistry } from '@finder/platform/config';
import { startTracing } from '@finder/platform/telemetry';
import { loadGatewayEnv } from './env.ts';
import { buildGateway } from './server.ts';

tuneGarbageCollection();
// Before Apollo's gateway makes its tracer: its spans (request, plan, fetch...) join ours.
const flushTraces = startTracing('gateway');
const env = loadGatewayEnv();
const logger = createLogger('gateway', env.LOG_LEVEL);
const gateway = await buildGateway({ env, logger, registry: createRegistry('gateway') });
const port = await gateway.start(env.PORT, env.HOST);
logger.info({ port, introspection: env.introspection }, `gateway listening on http://${env.HOST}:${port}/graphql`);
registerShutdown(logger, env.SHUTDOWN_GRACE_MS, [
  { name: 'http', run: () => gateway.stop() },
  { name: 'traces', run: flushTraces },
]);
