import { randomUUID } from 'node:crypto';
import { stackEnv } from '@finder/testing/stack';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Specialty } from '../src/models.ts';
import { upsertProfessionalProfiles, type ProfessionalProfileRow } from '../src/persister.ts';
import { professional } from '../src/seed/generator.ts';
import { createSearch } from '../src/services/search.ts';
import { finderDatabase } from './fixtures.ts';

const env = stackEnv();
const searchProfessionals = createSearch('search-cursor-test-secret');

type Fixture = Omit<ProfessionalProfileRow, 'userId' | 'at' | 'currency' | 'location' | 'yearsExperience'> & { key: string; location?: string };
const FIXTURES: Fixture[] = [
  { key: 'cpa', headline: 'Certified public accountant for startups', bio: 'I close the books monthly and prepare GAAP statements.', specialties: ['ACCOUNTING'], hourlyRate: 120, remote: true },
  { key: 'accountant-onsite', headline: 'Senior accountant', bio: 'Accounting for manufacturers, on site in Chicago.', specialties: ['ACCOUNTING', 'AUDIT'], hourlyRate: 95, remote: false },
  { key: 'tax', headline: 'International tax advisor', bio: 'Cross-border tax planning, VAT and transfer pricing.', specialties: ['TAX'], hourlyRate: 180, remote: true },
  { key: 'tax-cheap', headline: 'Tax preparer for freelancers', bio: 'Federal and state returns, quarterly estimates.', specialties: ['TAX'], hourlyRate: 60, remote: true },
  { key: 'cfo', headline: 'Fractional CFO for SaaS companies', bio: 'Board decks, fundraising and financial models.', specialties: ['CFO', 'FPA'], hourlyRate: 250, remote: true },
  { key: 'cfo-onsite', headline: 'Interim CFO', bio: 'Turnarounds and lender negotiations.', specialties: ['CFO'], hourlyRate: 300, remote: false },
  { key: 'bookkeeper', headline: 'Bookkeeper for small businesses', bio: 'QuickBooks and Xero, weekly reconciliations.', specialties: ['BOOKKEEPING'], hourlyRate: 45, remote: true },
  { key: 'payroll', headline: 'Payroll specialist', bio: 'Multi-state payroll, benefits and filings.', specialties: ['PAYROLL'], hourlyRate: 70, remote: false },
  { key: 'revenue', headline: 'Revenue recognition specialist', bio: 'ASC 606, subscription billing and pricing.', specialties: ['REVENUE', 'ACCOUNTING'], hourlyRate: 150, remote: true },
  { key: 'auditor', headline: 'External audit manager', bio: 'Audit readiness and internal controls.', specialties: ['AUDIT'], hourlyRate: 140, remote: true },
];

describe('searchProfessionals on a small fixed data set', () => {
  let db: Awaited<ReturnType<typeof finderDatabase>>;
  const ids = new Map<string, string>();
  const keyOf = (id: string) => [...ids].find(([, v]) => v === id)?.[0] ?? id;
  let em: () => EntityManager;
  const search = async (args: Record<string, unknown>) => {
    const page = await searchProfessionals(em(), args);
    return { keys: page.edges.map((e) => keyOf(e.node.userId)), page };
  };

  beforeAll(async () => {
    db = await finderDatabase(env, 'finder_search');
    em = () => db.orm.em.fork() as EntityManager;
    const at = new Date().toISOString();
    const rows = FIXTURES.map(({ key, ...f }) => {
      const userId = randomUUID();
      ids.set(key, userId);
      return { ...f, userId, currency: 'USD', location: f.location ?? null, yearsExperience: 10, at };
    });
    await db.orm.em.fork().transactional((tx) => upsertProfessionalProfiles(tx, rows));
  });
  afterAll(() => db?.drop());

  it('ranks the obvious match first for typed queries', async () => {
    expect((await search({ query: 'tax advisor' })).keys[0]).toBe('tax');
    expect((await search({ query: 'fractional CFO' })).keys[0]).toBe('cfo');
    expect((await search({ query: 'bookkeeper' })).keys).toEqual(['bookkeeper']);
    // "accountant" also finds ACCOUNTING profiles whose text never says it, through the specialty words.
    expect(new Set((await search({ query: 'accountant' })).keys)).toEqual(new Set(['cpa', 'accountant-onsite', 'revenue']));
    // Headline words outrank the same word in a bio.
    expect((await search({ query: 'payroll' })).keys[0]).toBe('payroll');
  });

  it('corrects typos with trigram similarity', async () => {
    expect(new Set((await search({ query: 'acounting' })).keys)).toEqual(new Set(['cpa', 'accountant-onsite', 'revenue']));
    // The nearest known word in all its forms, not every neighbour: "books" (the cpa's bio) is not it.
    expect((await search({ query: 'bookeeper' })).keys).toEqual(['bookkeeper']);
    expect((await search({ query: 'fractionl cfo' })).keys[0]).toBe('cfo');
    expect((await search({ query: 'revenu recogniton' })).keys[0]).toBe('revenue');
    expect((await search({ query: 'qwzxv' })).keys).toEqual([]);
  });

  it('combines filters with text and without', async () => {
    expect((await search({ query: 'tax', maxHourlyRate: 100 })).keys).toEqual(['tax-cheap']);
    expect(new Set((await search({ query: 'cfo', remote: false })).keys)).toEqual(new Set(['cfo-onsite']));
    expect(new Set((await search({ specialties: ['CFO'] as Specialty[] })).keys)).toEqual(new Set(['cfo', 'cfo-onsite']));
    expect(new Set((await search({ specialties: ['ACCOUNTING', 'AUDIT'], remote: true })).keys)).toEqual(new Set(['cpa', 'revenue', 'auditor']));
    expect(new Set((await search({ maxHourlyRate: 70, remote: true })).keys)).toEqual(new Set(['tax-cheap', 'bookkeeper']));
    expect((await search({ query: 'accounting', specialties: ['AUDIT'], maxHourlyRate: 100, remote: false })).keys).toEqual(['accountant-onsite']);
    expect((await search({})).keys).toHaveLength(FIXTURES.length);
  });

  it('treats SQL-looking and odd text as words, never as SQL', async () => {
    for (const query of ["'; drop table finder.professional_profiles; --", 'tax\' OR 1=1 --', '((tax | cfo) & !audit):*', '%_\\', '🙂']) {
      await expect(search({ query })).resolves.toBeDefined();
    }
    expect(new Set((await search({ query: "tax' OR '1'='1" })).keys.slice(0, 2))).toEqual(new Set(['tax', 'tax-cheap']));
    expect((await search({})).keys).toHaveLength(FIXTURES.length);
  });

  it('refuses bad arguments and foreign cursors with BAD_USER_INPUT naming the argument', async () => {
    const fails = async (args: Record<string, unknown>, field: string) => {
      const error = await searchProfessionals(em(), args).then(() => null, (e: unknown) => e as { extensions: Record<string, unknown> });
      expect(error?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
    };
    await fails({ maxHourlyRate: -1 }, 'maxHourlyRate');
    await fails({ first: 0 }, 'first');
    await fails({ first: 1000 }, 'first');
    await fails({ query: 'x'.repeat(201) }, 'query');
    await fails({ after: 'not-a-cursor' }, 'after');
    const { page } = await search({ query: 'tax', first: 1 });
    await fails({ query: 'cfo', first: 1, after: page.pageInfo.endCursor }, 'after');
  });

  it('refuses cursors it did not sign, whatever tsquery they carry, with BAD_USER_INPUT naming after', async () => {
    const fails = async (after: string) => {
      const error = await searchProfessionals(em(), { query: 'tax', after }).then(() => null, (e: unknown) => e as { extensions?: Record<string, unknown> });
      expect(error?.extensions, after).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    };
    const { page } = await search({ query: 'tax', first: 1 });
    const issued = page.pageInfo.endCursor!;
    const [body, sig] = issued.split('.');
    const position = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
    const forge = (changes: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...position, ...changes })).toString('base64url');
    // Malformed for to_tsquery (a database error), and far more words than a query may have.
    for (const t of ['tax & (', '(((tax', Array.from({ length: 40 }, (_, i) => `w${i}`).join(' | ')]) {
      await fails(forge({ t, l: null }));
      await fails(`${forge({ t, l: null })}.${sig}`);
    }
    await fails(`${body}.${sig}x`);
    await fails(`${body}`);
    // The cursor as issued still continues the search.
    await expect(searchProfessionals(em(), { query: 'tax', first: 1, after: issued })).resolves.toBeDefined();
  });

  it('serves one-word searches from the postings with the scores and order of ranking every match', async () => {
    const extra = Array.from({ length: 40 }, (_, i) => ({ ...professional(99, i), at: new Date().toISOString() }));
    await db.orm.em.fork().transactional((tx) => upsertProfessionalProfiles(tx, extra));
    for (const [query, tsquery] of [['accounting', 'accounting'], ['acounting', 'accounting'], ['finance', 'finance'], ['tax', 'tax']]) {
      const ranked = await em().execute<{ user_id: string; score: string }[]>(
        `select user_id, round(ts_rank(search_vector, to_tsquery('english', ?), 1) * 1000000)::bigint as score
           from finder.professional_profiles where search_vector @@ to_tsquery('english', ?) order by score desc, user_id`,
        [tsquery, tsquery],
      );
      const paged: { id: string; score: number }[] = [];
      for (let after: string | null = null; ; ) {
        const page = await searchProfessionals(em(), { query, first: 7, after });
        paged.push(...page.edges.map((e) => ({ id: e.node.userId, score: e.node.score })));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(ranked.length, query).toBeGreaterThan(7);
      expect(paged, query).toEqual(ranked.map((r) => ({ id: r.user_id, score: Number(r.score) })));
    }
  });

  it('replaces the postings of a profile whose text changed', async () => {
    const [row] = Array.from({ length: 1 }, () => ({ ...professional(77, 1), at: new Date().toISOString() }));
    const upsert = (headline: string) => db.orm.em.fork().transactional((tx) => upsertProfessionalProfiles(tx, [{ ...row!, headline }]));
    const finds = async (query: string) => (await searchProfessionals(em(), { query, first: 100 })).edges.some((e) => e.node.userId === row!.userId);
    await upsert('Zeppelin logistics controller');
    expect(await finds('zeppelin')).toBe(true);
    await upsert('Quasar logistics controller');
    expect(await finds('quasar')).toBe(true);
    expect(await finds('zeppelin')).toBe(false);
  });

  it('filters one-word searches on the postings exactly as on the profiles, and follows profile edits', async () => {
    const ranked = async (tsquery: string, where: string, params: unknown[]) =>
      (
        await em().execute<{ user_id: string }[]>(
          `select user_id, round(ts_rank(search_vector, to_tsquery('english', ?), 1) * 1000000)::bigint as score
             from finder.professional_profiles where search_vector @@ to_tsquery('english', ?) and ${where}
            order by score desc, user_id limit 100`,
          [tsquery, tsquery, ...params],
        )
      ).map((r) => r.user_id);
    const searched = async (args: Record<string, unknown>) => (await searchProfessionals(em(), { ...args, first: 100 })).edges.map((e) => e.node.userId);
    expect(await searched({ query: 'accounting', specialties: ['AUDIT'], remote: false })).toEqual(
      await ranked('accounting', `specialties && '{AUDIT}' and not remote`, []),
    );
    expect(await searched({ query: 'finance', maxHourlyRate: 100, remote: true })).toEqual(await ranked('finance', 'hourly_rate <= ? and remote', [100]));

    const [row] = Array.from({ length: 1 }, () => ({ ...professional(78, 1), at: new Date().toISOString() }));
    const upsert = (change: Partial<ProfessionalProfileRow>) =>
      db.orm.em.fork().transactional((tx) => upsertProfessionalProfiles(tx, [{ ...row!, headline: 'Yodeling ledger reconciler', ...change }]));
    const finds = async (args: Record<string, unknown>) => (await searched({ query: 'yodeling', ...args })).includes(row!.userId);
    await upsert({ hourlyRate: 150, remote: false, specialties: ['TAX'] });
    expect(await finds({ maxHourlyRate: 100 })).toBe(false);
    expect(await finds({ remote: false, specialties: ['TAX'] })).toBe(true);
    await upsert({ hourlyRate: 90, remote: true, specialties: ['AUDIT'] });
    expect(await finds({ maxHourlyRate: 100 })).toBe(true);
    expect(await finds({ remote: false })).toBe(false);
    expect(await finds({ specialties: ['TAX'] })).toBe(false);
    expect(await finds({ specialties: ['AUDIT'], remote: true })).toBe(true);
  });

  it('never repeats or skips a row while profiles are inserted between pages', async () => {
    const extra = Array.from({ length: 60 }, (_, i) => ({ ...professional(4242, i), at: new Date().toISOString() }));
    await db.orm.em.fork().transactional((tx) => upsertProfessionalProfiles(tx, extra.slice(0, 30)));
    const args = { query: 'finance', first: 4 };
    const before = new Set<string>();
    for (let after: string | null = null; ; ) {
      const page = await searchProfessionals(em(), { ...args, after, first: 100 });
      page.edges.forEach((e) => before.add(e.node.userId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }

    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; ; n++) {
      const page = await searchProfessionals(em(), { ...args, after });
      seen.push(...page.edges.map((e) => e.node.userId));
      // Three new profiles after every page, with every kind of score, some above the cursor, some below.
      const batch = extra.slice(30 + n * 3, 33 + n * 3);
      if (batch.length) await db.orm.em.fork().transactional((tx) => upsertProfessionalProfiles(tx, batch));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect(before.size).toBeGreaterThan(8);
  });
});
