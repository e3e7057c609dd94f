import { describe, expect, it } from 'vitest';
import { DRILLS } from '../drills.ts';
import { renderReport, runDrill } from '../lib/drill.ts';
import { stackEnv } from '../lib/stack.ts';

/**
 * Every fault drill in its reduced form (`--quick`: a few hundred writes, a 10 s Postgres
 * outage). The single-subgraph replica drills run as one (`kill-subgraph-replicas` kills each
 * subgraph's second replica in turn) to keep CI short.
 */
const CI_DRILLS = DRILLS.filter((d) => !/^kill-(users|chat|finder|files)-replica$/.test(d.name));

/** Drills that found a bug not fixed yet (drills/README.md, "Open"): skipped until it is. */
const OPEN_FINDINGS = new Set<string>();

/** Drills for another stack than the one running: the Redis Cluster failover needs REDIS_MODE=cluster. */
const needsOtherStack = (name: string) => name === 'redis-master-failover' && stackEnv().REDIS_MODE !== 'cluster';

describe('fault drills (quick)', () => {
  for (const drill of CI_DRILLS) {
    it.skipIf(OPEN_FINDINGS.has(drill.name) || needsOtherStack(drill.name))(`${drill.name}: ${drill.injects}`, async () => {
      // The stated bounds hold on an idle machine; shared CI runners get three times as long
      // (the report prints the measured time either way).
      const report = await runDrill(drill, { quick: true, log: () => undefined, readySlack: 3 });
      console.log(renderReport(report));

      expect(report.injected.length).toBeGreaterThan(0);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.readyAfterMs).not.toBeNull();
      const count = (what: string) => report.counts.find((c) => c.what === what)!;
      // Load really flowed, and every write and delivery is accounted for.
      expect(count('chat messages').acknowledged).toBeGreaterThan(20);
      for (const c of report.counts) {
        expect(c, c.what).toMatchObject({ missing: 0 });
        expect(c.acknowledged, c.what).toBe(c.sent);
        if (c.what !== 'verification mail' && c.what !== 'poison events → DLQ') {
          expect(c.persisted, c.what).toBe(c.acknowledged);
          expect(c.duplicates, c.what).toBe(0);
        }
      }
      expect(count('messageAdded deliveries').delivered).toBe(count('chat messages').acknowledged);
      expect(count('notificationAdded deliveries').delivered).toBe(count('finder engagement requests').acknowledged);
    }, 900_000);
  }
});
