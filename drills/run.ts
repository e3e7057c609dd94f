/**
 * Fault drills: `npm run drill -- <name>|all [--quick]`. Each runs steady load through nginx
 * against the running stack (`./dev up`), injects one fault, checks that nothing acknowledged was
 * lost or duplicated and that the stack is ready again in time, prints the report and exits 1 on
 * any violation.
 */
import { stackEnv } from '@finder/testing/stack';
import { join } from 'node:path';
import { appendResults, renderMarkdown } from '../bench/lib/report.ts';
import { abuseHeld, abuseResults, renderAbuseReport, runAbuse } from './abuse/run-abuse.ts';
import { DRILLS } from './drills.ts';
import { renderReport, runDrill } from './lib/drill.ts';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const quick = args.includes('--quick');

if (name === 'abuse') {
  // Not a fault drill: an attacker beside ordinary users (drills/abuse/run-abuse.ts).
  const phaseSeconds = quick ? 8 : 30;
  const report = await runAbuse(stackEnv(), { phaseSeconds, log: (line) => console.log(line) });
  console.log(renderAbuseReport(report));
  // The full run is a measurement: its figures go to the results file, as a benchmark's do.
  if (!quick) appendResults(join(import.meta.dirname, '../bench/RESULTS.md'), renderMarkdown(abuseResults(report, phaseSeconds), `npm run drill -- abuse`));
  process.exit(abuseHeld(report) ? 0 : 1);
}
const unknown = args.filter((a) => a.startsWith('--') && a !== '--quick');
const selected = name === 'all' ? DRILLS : DRILLS.filter((d) => d.name === name);
if (!name || selected.length === 0 || unknown.length) {
  console.error(`usage: npm run drill -- <name>|all [--quick]\n\ndrills:\n${DRILLS.map((d) => `  ${d.name.padEnd(24)} ${d.injects}`).join('\n')}\n  ${'abuse'.padEnd(24)} an attacker beside ordinary users (not part of all)`);
  process.exit(2);
}

let failed = 0;
for (const drill of selected) {
  const report = await runDrill(drill, { quick });
  console.log(`\n${renderReport(report)}\n`);
  if (!report.ok) failed++;
}
if (selected.length > 1) console.log(`${selected.length - failed}/${selected.length} drills passed`);
process.exit(failed ? 1 : 0);
