import { parseArgs } from 'node:util';
import { createConsumer } from '@finder/platform/kafka';
import { chatFacts } from '@finder/platform/contracts';
import { createPersister } from '@finder/platform/write';
import { loadSecrets, redisTarget } from '@finder/platform/config';
import { allOf, runRole, serveSubgraph, serveWorker, startInfra } from '@finder/platform/server';
import { FINDER_SERVER_SECRETS, loadFinderEnv } from './env.ts';
import { finderEvents } from './events/finder-events.ts';
import { migrations } from './migrations/index.ts';
import { applyFinderEvent } from './persister.ts';
import { runSeed } from './seed/seed.ts';
import { buildFinderServer } from './server.ts';
import { createMessageNotificationsHandler } from './workers/message-notifications.ts';

/*
 * node subgraphs/finder/src/main.ts <server|persister|migrate|seed>
 *   seed [--professionals N] [--businesses N] [--seed N] [--direct] [--no-users] [--batch N]
 *        events (default): accounts and profiles through Kafka and the persisters
 *        --direct: profiles straight into Postgres, user ids only (benchmark data)
 */
runRole('finder', ['server', 'persister', 'migrate', 'seed'] as const, async (role) => {
  const env = loadFinderEnv();
  const serverSecrets = role === 'server' ? loadSecrets(FINDER_SERVER_SECRETS) : undefined;
  const infra = await startInfra(env, { subgraph: 'finder', role, orm: { schema: 'finder', migrations } });
  if (!infra) return;
  const { orm, pubsub, kafka, producer, logger, registry } = infra;
  const argv = process.argv.slice(3);

  if (role === 'seed') {
    const { values } = parseArgs({
      args: argv,
      options: {
        professionals: { type: 'string', default: '300' },
        businesses: { type: 'string', default: '30' },
        seed: { type: 'string', default: '1' },
        batch: { type: 'string', default: '1000' },
        direct: { type: 'boolean', default: false },
        'no-users': { type: 'boolean', default: false },
      },
    });
    const count = (name: string, v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
      return n;
    };
    try {
      const report = await runSeed(
        { orm, producer, redis: redisTarget(env), logger },
        {
          professionals: count('professionals', values.professionals),
          businesses: count('businesses', values.businesses),
          seed: count('seed', values.seed),
          batchSize: Math.max(1, count('batch', values.batch)),
          mode: values.direct ? 'direct' : 'events',
          users: !values.direct && !values['no-users'],
          progress: (message) => process.stderr.write(`finder seed: ${message}\n`),
        },
      );
      process.stdout.write(
        `finder seed: ${report.professionals} professionals, ${report.businesses} businesses` +
          `${report.events ? `, ${report.events} events` : ' (direct)'} in ${report.seconds.toFixed(1)} s` +
          `${report.rejected ? `; ${report.rejected} rejected` : ''}\n`,
      );
      if (report.rejected) process.exitCode = 1;
    } finally {
      for (const step of infra.closeSteps) await step.run();
    }
    return;
  }

  if (serverSecrets) return serveSubgraph(env, infra, await buildFinderServer({ ...env, ...serverSecrets }, infra));
  // Profiles, engagements, reviews and the notifications they cause: one writer, one transaction.
  // Beside it, the consumer turning chat's missed messages into notification requests.
  const common = { kafka, producer, logger, registry, fetchWait: infra.fetchWait };
  return serveWorker(
    env,
    infra,
    allOf([
      createPersister({
        ...common,
        name: 'finder-persister',
        groupId: 'finder-persister',
        catalog: finderEvents,
        orm,
        schema: 'finder',
        pubsub,
        apply: applyFinderEvent,
        // Facts for the other subgraphs (packages/platform/src/contracts/finder-facts.ts) leave through the outbox.
        outbox: {},
      }),
      createConsumer({
        ...common,
        name: 'finder-message-notifications',
        groupId: 'finder-message-notifications',
        catalog: chatFacts,
        handle: createMessageNotificationsHandler({ producer }),
      }),
    ]),
  );
});
