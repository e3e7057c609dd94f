/** (b) The publisher: its own process, publishing ticks to Redis the way the platform's persisters do. */
import { createLogger, singleRedis } from '@finder/platform/config';
import { createPubSub } from '@finder/platform/realtime';
import { serveRequests } from '../../lib/worker.ts';
import { publishAtRate, tickTrigger, type PublishPlan } from './ticks.ts';

const pubsub = createPubSub({ redis: singleRedis(process.env.REDIS_URL!), logger: createLogger('bench-publisher', 'warn') });

serveRequests({
  publish: (plan: PublishPlan) => publishAtRate(plan, (event) => pubsub.publish(tickTrigger(event.topic), event)),
});
