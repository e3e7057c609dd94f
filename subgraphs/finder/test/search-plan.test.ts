import { stackEnv } from '@finder/testing/stack';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertProfessionalProfiles } from '../src/persister.ts';
import { professional } from '../src/seed/generator.ts';
import { createSearch } from '../src/services/search.ts';
import { finderDatabase } from './fixtures.ts';

const env = stackEnv();
const searchProfessionals = createSearch('search-cursor-test-secret');
const PROFESSIONALS = 20_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe('search query plans on seeded data', () => {
  let db: Awaited<ReturnType<typeof finderDatabase>>;

  beforeAll(async () => {
    db = await finderDatabase(env, 'finder_plans');
    const at = new Date().toISOString();
    for (let i = 0; i < PROFESSIONALS; i += 2_000) {
      const rows = Array.from({ length: 2_000 }, (_, k) => ({ ...professional(7, i + k + 1), at }));
      await db.orm.em.fork().transactional((em) => upsertProfessionalProfiles(em, rows));
    }
    await db.orm.em.fork().execute('vacuum analyze finder.professional_profiles, finder.search_postings, finder.search_terms');
  }, 180_000);
  afterAll(() => db?.drop());

  /** Runs a search and EXPLAINs every statement it sent, as it sent it. */
  async function plansOf(args: Record<string, unknown>, options = 'format json'): Promise<PlanNode[]> {
    const em = db.orm.em.fork() as EntityManager;
    const statements: [string, unknown[]][] = [];
    const recording = new Proxy(em, {
      get(target, prop) {
        if (prop === 'execute') {
          return (sql: string, params: unknown[] = []) => {
            statements.push([sql, params]);
            return target.execute(sql, params);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const first = await searchProfessionals(recording, args);
    if (first.pageInfo.endCursor) await searchProfessionals(recording, { ...args, after: first.pageInfo.endCursor });
    const plans: PlanNode[] = [];
    for (const [sql, params] of statements) {
      const [row] = await em.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (${options}) ${sql}`, params);
      plans.push(row!['QUERY PLAN'][0].Plan);
    }
    return plans;
  }

  // Every kind of search is served by the indexes with the planner's default settings, including
  // broad one-word text ("finance" is in every seeded profile), which reads the postings in rank order.
  it.each([
    ['broad text', { query: 'finance' }],
    ['broad text with a typo', { query: 'acounting' }],
    ['broad text and filters', { query: 'accounting', maxHourlyRate: 90, remote: true }],
    ['broad text and a selective filter', { query: 'finance', specialties: ['PAYROLL'], maxHourlyRate: 40 }],
    ['text with typos', { query: 'fractionl interm cfo' }],
    ['text and filters', { query: 'payroll', maxHourlyRate: 60, remote: true }],
    ['specialties', { specialties: ['PAYROLL'], maxHourlyRate: 80 }],
    ['rate only', { maxHourlyRate: 40 }],
    ['remote only', { remote: true }],
    ['everything', {}],
  ])('%s: no sequential scan of the profiles or their postings', async (_label, args) => {
    const plans = await plansOf(args);
    expect(plans.length).toBeGreaterThan(0);
    const scanned = plans.flatMap(nodes).filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
    expect(scanned).not.toContain('professional_profiles');
    expect(scanned).not.toContain('search_postings');
  });

  it('reads a broad one-word search from the postings index in rank order, without sorting', async () => {
    for (const args of [{ query: 'finance' }, { query: 'finance', first: 5 }]) {
      const [firstPage, nextPage] = await plansOf(args).then((plans) => plans.slice(-2));
      for (const plan of [firstPage!, nextPage!]) {
        const all = nodes(plan);
        expect(all.some((n) => n['Node Type'].startsWith('Index') && n['Relation Name'] === 'search_postings')).toBe(true);
        expect(all.map((n) => n['Node Type'])).not.toContain('Sort');
      }
    }
  });

  // The postings carry the filter columns: a filtered broad search tests them inside the index and
  // reads a profile only for each row it returns, where it used to read one for every posting it
  // passed over on the way (thousands for "accounting", AUDIT, on site).
  it.each([
    ['accounting, AUDIT, on site', { query: 'accounting', specialties: ['AUDIT'], remote: false }],
    ['finance, remote, at most 90/h', { query: 'finance', maxHourlyRate: 90, remote: true }],
  ])('%s: reads only the profiles of the page', async (_label, args) => {
    const [firstPage, nextPage] = await plansOf({ ...args, first: 10 }, 'analyze, format json').then((plans) => plans.slice(-2));
    for (const plan of [firstPage!, nextPage!]) {
      const profileRows = nodes(plan)
        .filter((n) => n['Relation Name'] === 'professional_profiles')
        .reduce((sum, n) => sum + ((n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0)) * (n['Actual Loops'] ?? 1), 0);
      expect(profileRows).toBeGreaterThan(0);
      expect(profileRows).toBeLessThanOrEqual(11);
    }
  });

  it('can serve typo correction from the trigram index (the seeded vocabulary is small enough to scan)', async () => {
    const em = db.orm.em.fork();
    const plan = await em.transactional(async (tx) => {
      await tx.execute('set local enable_seqscan = off');
      const [row] = await tx.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(
        `explain (format json) select term from finder.search_terms where term operator(public.%) 'acounting'
          order by term operator(public.<->) 'acounting' limit 3`,
      );
      return row!['QUERY PLAN'][0].Plan;
    });
    expect(nodes(plan).some((n) => n['Node Type'].includes('Index Scan'))).toBe(true);
  });
});
