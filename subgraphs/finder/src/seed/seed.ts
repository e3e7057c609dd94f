import { randomBytes, randomUUID } from 'node:crypto';
import type { Envelope, EventProducer } from '@finder/platform/kafka';
import type { Logger, RedisTarget } from '@finder/platform/config';
import { createPubSub } from '@finder/platform/realtime';
import { replyChannel, type Outcome } from '@finder/platform/write';
import type { MikroORM } from '@mikro-orm/postgresql';
// Event catalogs are contracts: the seed registers accounts by producing the users subgraph's own event.
import { usersEvents } from '../../../users/src/events/users-events.ts';
import { hashPassword } from '../../../users/src/services/passwords.ts';
import { finderEvents } from '../events/finder-events.ts';
import { upsertBusinessProfiles, upsertProfessionalProfiles } from '../persister.ts';
import { business, professional } from './generator.ts';

/** Every seeded account (with `--users`) logs in with this password. */
export const SEED_PASSWORD = 'seed-password-2026';

const MAX_IN_FLIGHT = 8_000;
const STALL_MS = 60_000;

export interface SeedOptions {
  professionals: number;
  businesses: number;
  seed: number;
  /**
   * events: accounts (users.events) and profiles (finder.events) through Kafka and the persisters,
   * like any other write; waits for every outcome.
   * direct: profiles only, written straight into the finder tables in large multi-row statements;
   * their user ids exist only as ids (users knows nothing of them). For benchmark and test data.
   */
  mode: 'events' | 'direct';
  /** In events mode, also register an account per profile (off: ids only, as in direct mode). */
  users: boolean;
  batchSize: number;
  /** Told how far the seed is, now and then (every few seconds and at the end of each part). */
  progress?: (message: string) => void;
}

export interface SeedReport {
  professionals: number;
  businesses: number;
  events: number;
  rejected: number;
  seconds: number;
}

export async function runSeed(deps: { orm: MikroORM; producer: EventProducer; redis: RedisTarget; logger: Logger }, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const pros = Array.from({ length: options.professionals }, (_, i) => professional(options.seed, i + 1));
  const bizs = Array.from({ length: options.businesses }, (_, i) => business(options.seed, i + 1));
  const report = { professionals: pros.length, businesses: bizs.length, events: 0, rejected: 0, seconds: 0 };
  const at = new Date().toISOString();
  const tell = throttled(options.progress ?? (() => undefined), started);

  if (options.mode === 'direct') {
    for (let i = 0; i < pros.length; i += options.batchSize) {
      await deps.orm.em.fork().transactional((em) => upsertProfessionalProfiles(em, pros.slice(i, i + options.batchSize).map((p) => ({ ...p, at }))));
      tell(Math.min(i + options.batchSize, pros.length), pros.length, 'professionals');
    }
    for (let i = 0; i < bizs.length; i += options.batchSize) {
      await deps.orm.em.fork().transactional((em) => upsertBusinessProfiles(em, bizs.slice(i, i + options.batchSize).map((b) => ({ ...b, at }))));
      tell(Math.min(i + options.batchSize, bizs.length), bizs.length, 'businesses');
    }
    await deps.orm.em.fork().execute('vacuum analyze finder.professional_profiles, finder.search_postings, finder.search_terms');
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  const userEvents: Envelope[] = [];
  if (options.users) {
    // One argon2 hash for all: hashing 55,000 passwords would take longer than everything else.
    const passwordHash = await hashPassword(SEED_PASSWORD);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    for (const [account, role] of [...pros.map((p) => [p, 'PROFESSIONAL'] as const), ...bizs.map((b) => [b, 'BUSINESS'] as const)]) {
      userEvents.push(
        usersEvents.create('user.registered', {
          aggregateId: account.userId,
          actorId: null,
          data: {
            userId: account.userId,
            email: account.email,
            emailNormalized: account.email,
            passwordHash,
            displayName: account.displayName,
            role,
            // A session nobody holds the token of: the event carries one for every registration.
            session: { id: crypto.randomUUID(), familyId: crypto.randomUUID(), tokenHash: randomBytes(32).toString('hex'), expiresAt },
            verificationNonce: randomBytes(32).toString('base64url'),
          },
        }),
      );
    }
  }
  const profileEvents: Envelope[] = [
    ...pros.map(({ email: _e, displayName: _d, ...p }) =>
      finderEvents.create('professional_profile.upserted', { aggregateId: p.userId, actorId: p.userId, data: p }),
    ),
    ...bizs.map((b) =>
      finderEvents.create('business_profile.upserted', {
        aggregateId: b.userId,
        actorId: b.userId,
        data: { userId: b.userId, companyName: b.companyName, industry: b.industry, size: b.size },
      }),
    ),
  ];

  // The persisters answer on the seed's own reply channel after each commit; listen before producing.
  const replyTo = replyChannel(`seed-${randomUUID()}`);
  const waiting = new Set([...userEvents, ...profileEvents].map((e) => e.id));
  const total = waiting.size;
  const pubsub = createPubSub({ redis: deps.redis, logger: deps.logger });
  let progressed = Date.now();
  /** Events not produced yet are not in flight. */
  let unproduced = waiting.size;
  let wake: () => void = () => undefined;
  const onOutcomes = (outcomes: Outcome[]) => {
    for (const outcome of outcomes) {
      if (!waiting.delete(outcome.eventId)) continue;
      // Re-running the seed finds the accounts there already: that is the expected answer.
      if (outcome.status === 'rejected' && outcome.code !== 'CONFLICT') report.rejected++;
    }
    progressed = Date.now();
    tell(total - waiting.size, total, 'events applied');
    wake();
  };
  /** Waits until at most `inFlight` events are unanswered; fails when nothing moves for a minute. */
  const drain = async (inFlight: number) => {
    while (waiting.size - unproduced > inFlight) {
      if (Date.now() - progressed > STALL_MS) throw new Error(`no outcome for ${STALL_MS / 1000} s; ${waiting.size} events unanswered (is the persister running?)`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1_000);
      });
    }
  };
  await pubsub.engine.subscribe(replyTo, onOutcomes);
  try {
    // Flow control: a bounded number of events ahead of the persisters, so a broker that keeps
    // only recent messages (the local mock) never drops what they have not read yet.
    const produce = async (topic: string, events: Envelope[]) => {
      for (let i = 0; i < events.length; i += options.batchSize) {
        await drain(MAX_IN_FLIGHT);
        const batch = events.slice(i, i + options.batchSize);
        unproduced -= batch.length;
        await deps.producer.sendRaw(
          topic,
          batch.map((e) => ({ key: e.aggregateId, value: JSON.stringify({ ...e, replyTo }), headers: { 'event-type': e.type, 'event-id': e.id } })),
        );
      }
    };
    await Promise.all([produce(usersEvents.topic, userEvents), produce(finderEvents.topic, profileEvents)]);
    report.events = userEvents.length + profileEvents.length;
    deps.logger.info({ events: report.events }, 'seed events produced; waiting for the persisters');
    await drain(0);
  } finally {
    await pubsub.close();
  }
  await deps.orm.em.fork().execute('vacuum analyze finder.professional_profiles, finder.search_postings, finder.search_terms');
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** "12000/50000 professionals (8.1 s)" at most every 2 s, and always when a part is complete. */
function throttled(progress: (message: string) => void, started: number) {
  let last = 0;
  return (done: number, total: number, what: string) => {
    if (done < total && performance.now() - last < 2_000) return;
    last = performance.now();
    progress(`${done}/${total} ${what} (${((last - started) / 1000).toFixed(1)} s)`);
  };
}
