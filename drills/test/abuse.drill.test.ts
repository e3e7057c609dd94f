import { stackEnv } from '@finder/testing/stack';
import { expect, it } from 'vitest';
import { renderAbuseReport, runAbuse } from '../abuse/run-abuse.ts';

/**
 * The abuse drill in quick form (8 s without, 8 s with the attacker). The p99 ratio is printed,
 * not asserted: speed is judged from quiet runs of `npm run drill -- abuse` (bench/RESULTS.md).
 */
it('abuse: every abusive request refused with its code, ordinary users served, nothing lost', async () => {
  const report = await runAbuse(stackEnv(), { phaseSeconds: 8 });
  console.log(renderAbuseReport(report));
  const kinds = report.attacks.map((t) => t.kind).sort();
  expect(kinds).toEqual(['alias bomb', 'cost-heavy search', 'deep recursion', 'login guess', 'password reset flood', 'socket flood (address)', 'socket flood (user)']);
  for (const t of report.attacks) {
    expect(t.sent, t.kind).toBeGreaterThan(0);
    expect(t.unexpected, `${t.kind}: ${JSON.stringify(t.outcomes)}`).toBe(0);
    expect(t.admitted, t.kind).toBeLessThanOrEqual(t.allowed);
  }
  // The budgets bit: past them, the repeated attacks were refused, not served.
  for (const kind of ['login guess', 'password reset flood', 'socket flood (address)', 'socket flood (user)']) {
    expect(report.attacks.find((t) => t.kind === kind)!.sent - report.attacks.find((t) => t.kind === kind)!.admitted, kind).toBeGreaterThan(0);
  }
  expect(report.baseline.queries).toBeGreaterThan(20);
  expect(report.attacked.queries).toBeGreaterThan(20);
  expect(report.baseline.serverErrors + report.attacked.serverErrors).toBe(0);
  expect(report.acknowledged).toBeGreaterThan(10);
  expect(report.undelivered).toBe(0);
  expect(report.unstored).toBe(0);
}, 600_000);
