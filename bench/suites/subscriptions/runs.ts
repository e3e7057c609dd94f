import type { ConnectPlan } from './load-generator.ts';
import type { RampResult, Scenario } from './ramp.ts';

/** What the suite runs (suite.ts) and reports (tables.ts): a system and query under a scenario's ramp. */
export interface Variant {
  system: 'a' | 'b';
  label: string;
  query: string;
  users: ConnectPlan['users'];
  /** Redis of the (b) platform: one server (default) or a cluster of three masters. */
  redis?: 'single' | 'cluster';
}

export interface RunResult {
  scenario: Scenario;
  variant: Variant;
  ramp: RampResult;
}
