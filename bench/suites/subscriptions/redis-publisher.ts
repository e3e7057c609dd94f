/** (b) The publisher: its own process, publishing ticks to Redis the way the platform's persisters do. */
import { createLogger } from '@finder/platform/config';
import { createPubSub } from '@finder/platform/realtime';
import { serveRequests } from '../../lib/worker.ts';
import { publishAtRate, tickTrigger, type PublishPlan } from './ticks.ts';

const pubsub = createPubSub({ url: process.env.REDIS_URL!, logger: createLogger('bench-publisher', 'warn') });

serveRequests({
  publish: (plan: PublishPlan) => publishAtRate(plan, (event) => pubsub.publish(tickTrigger(event.topic), event)),
});
