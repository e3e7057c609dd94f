/** (b) The publisher: its own process, publishing ticks to Redis the way the platform's persisters do. */
import { createLogger, redisEnv, redisTarget } from '@finder/platform/config';
import { createPubSub } from '@finder/platform/realtime';
import { serveRequests } from '../../lib/worker.ts';
import { publishAtRate, tickTrigger, type PublishPlan } from './ticks.ts';

// REDIS_URL, or REDIS_CLUSTER_NODES for the cluster row.
const pubsub = createPubSub({ redis: redisTarget(redisEnv.parse(process.env)), logger: createLogger('bench-publisher', 'warn') });

serveRequests({
  publish: (plan: PublishPlan) => publishAtRate(plan, (event) => pubsub.publish(tickTrigger(event.topic), event)),
});
