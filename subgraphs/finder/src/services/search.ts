import { createHash } from 'node:crypto';
import { badInput } from '@finder/platform/config';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { ProfessionalProfileModel, Specialty } from '../models.ts';
import { signedCursors, toPage, type Page, type SignedCursors } from './cursor.ts';
import { searchArgsSchema, validateArgs, type SearchArgs } from './validation.ts';

/**
 * Professional search: Postgres full-text search over headline, specialty words, bio and location
 * (generated, weighted `search_vector` with a GIN index), tolerant of typos through trigram
 * similarity against the vocabulary of all profiles, with filters and keyset pagination.
 *
 * Ranking and cursors. The order is (score desc, user_id asc), where score is an integer computed
 * from the row's own text and the tsquery only: ts_rank × 10⁶, rounded. A row's score is therefore
 * the same on every page, and the cursor (the last row's score and id) is a position in one fixed
 * total order. Rows inserted between pages land either before the cursor (not shown: they were not
 * there when the earlier pages were read) or after it (shown once) — never a repeat or a skip.
 * The typo correction depends on the vocabulary, which grows with new profiles, so the tsquery
 * chosen for the first page travels inside the cursor and later pages use exactly the same one.
 * Mutable signals (rating, review count) are deliberately left out of the score: a review arriving
 * mid-pagination would otherwise move a row across the cursor. A profile edited between pages may
 * move (its text, hence its score, changed); that is the one case keyset paging cannot freeze.
 *
 * Speed. When the search comes down to one lexeme (one word, typo corrected or not, stemming to
 * one lexeme), the rows come from the search postings (search-postings.ts), which hold that
 * very score precomputed, in index order: a page costs the rows it returns, however many profiles
 * match (with filters, also the postings it passes over, tested inside the index). Searches of
 * several lexemes match fewer profiles and are ranked as they are found, through the GIN index.
 * Both give the same score for the same tsquery, and the cursor says which was used.
 */

const MAX_WORDS = 8;
/** Safe in to_tsquery's syntax: words of letters and digits, grouped by parentheses, & and |. */
const TSQUERY_SHAPE = /^[\p{L}\p{N}()|& ]{1,2000}$/u;

const cursorSchema = z.object({
  f: z.string(),
  t: z.string().regex(TSQUERY_SHAPE).nullable(),
  /** The one lexeme of a search served by the postings. */
  l: z.string().max(200).nullable().default(null),
  s: z.number().int(),
  id: z.uuid(),
});

export type SearchResult = Page<ProfessionalProfileModel & { score: number }>;

/** Lower-case words of letters and digits; anything else (quotes, operators, SQL) separates words. */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length <= 40))].slice(0, MAX_WORDS);
}

/** Same arguments, same fingerprint: a cursor only continues the search it came from. */
function fingerprint(args: SearchArgs): string {
  const { query, specialties, maxHourlyRate, remote } = args;
  return createHash('sha256').update(JSON.stringify([query, specialties, maxHourlyRate, remote])).digest('base64url').slice(0, 16);
}

/** A word of the search as it will be looked for, and its lexeme when it stems to exactly one. */
interface Group {
  word: string;
  lexeme: string | null;
}

/**
 * Each word becomes itself (when the vocabulary knows it) or its nearest known word by trigram
 * distance (when it does not: a typo). Unknown words with no near neighbour are dropped.
 */
async function correctedGroups(em: EntityManager, words: string[]): Promise<Group[]> {
  if (words.length === 0) return [];
  const rows = await em.execute<{ word: string; term: string; lexemes: string[] }[]>(
    `select w.word, t.term, tsvector_to_array(to_tsvector('english', t.term)) as lexemes
       from unnest(?::text[]) with ordinality as w(word, n)
       cross join lateral (
         select term from finder.search_terms
          where term operator(public.%) w.word
          order by term operator(public.<->) w.word, term
          limit 1) as t
      order by w.n`,
    [`{${words.map((w) => `"${w}"`).join(',')}}`],
  );
  // A word the vocabulary knows is its own nearest term; a typo gets the nearest known word, in all
  // its forms through stemming ("bookeeper": bookkeeper and bookkeeping, but not "books").
  const nearest = new Map(rows.map((row) => [row.word, row]));
  // Short words (initialisms like "hr", "uk") are too short for trigrams: kept as typed.
  return words.flatMap((w): Group[] => {
    const row = nearest.get(w);
    if (!row) return w.length < 3 ? [{ word: w, lexeme: null }] : [];
    return [{ word: row.term, lexeme: row.lexemes.length === 1 ? row.lexemes[0]! : null }];
  });
}

const tsquery = (groups: Group[], joiner: ' & ' | ' | ') => groups.map((g) => g.word).join(joiner);

/**
 * The search with its cursor key. Cursors are signed: the tsquery inside one reaches to_tsquery
 * and ranking, so a client must not be able to write its own (unbounded words, malformed syntax).
 */
export function createSearch(cursorSecret: string) {
  const cursors = signedCursors(cursorSecret, cursorSchema);
  return (em: EntityManager, rawArgs: unknown): Promise<SearchResult> => searchProfessionals(em, rawArgs, cursors);
}

export type Search = ReturnType<typeof createSearch>;

async function searchProfessionals(em: EntityManager, rawArgs: unknown, cursors: SignedCursors<Cursor>): Promise<SearchResult> {
  const encodeCursor = (value: Cursor) => cursors.encode(value);
  const args = validateArgs(searchArgsSchema, rawArgs);
  const print = fingerprint(args);
  const cursor = args.after ? cursors.decode(args.after) : null;
  if (cursor && cursor.f !== print) throw badInput('after is a cursor of a different search', 'after');

  if (cursor || !args.query) {
    const rows = cursor?.l ? await postingsPage(em, args, cursor.l, cursor) : await page(em, args, cursor ? cursor.t : null, cursor);
    const next = (row: { score: number; userId: string }) => encodeCursor({ f: print, t: cursor ? cursor.t : null, l: cursor?.l ?? null, s: row.score, id: row.userId });
    return toPage(rows, args.first, next, cursor !== null);
  }
  const groups = await correctedGroups(em, tokenize(args.query));
  if (groups.length === 0) return toPage([], args.first, () => '');
  const lexeme = groups.length === 1 ? groups[0]!.lexeme : null;
  if (lexeme !== null) {
    const rows = await postingsPage(em, args, lexeme, null);
    const t = tsquery(groups, ' & ');
    return toPage(rows, args.first, (row) => encodeCursor({ f: print, t, l: lexeme, s: row.score, id: row.userId }));
  }
  // All words together first; when no profile has them all, any of them (ranked by how many).
  let query = tsquery(groups, ' & ');
  let rows = await page(em, args, query, null);
  if (rows.length === 0 && groups.length > 1) {
    query = tsquery(groups, ' | ');
    rows = await page(em, args, query, null);
  }
  return toPage(rows, args.first, (row) => encodeCursor({ f: print, t: query, l: null, s: row.score, id: row.userId }));
}

const PROFILE_COLUMNS = `p.user_id, p.headline, p.bio, p.specialties, p.hourly_rate, p.currency, p.location, p.remote,
       p.years_experience, p.rating_sum, p.review_count, p.created_at, p.updated_at`;

type Cursor = z.infer<typeof cursorSchema>;
type ScoredProfile = ProfessionalProfileModel & { score: number };
/** A row of PROFILE_COLUMNS plus its score, as the driver returns it (timestamps as text). */
interface ProfileRow {
  user_id: string;
  headline: string;
  bio: string;
  specialties: Specialty[];
  hourly_rate: number;
  currency: string;
  location: string | null;
  remote: boolean;
  years_experience: number;
  rating_sum: number;
  review_count: number;
  created_at: string;
  updated_at: string;
  score: number | string;
}

/** The search's conditions on the columns of `table` (a profile, or a posting's copy of one). */
function filters(args: SearchArgs, query: string | null, table: 'p' | 's' = 'p'): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query !== null) {
    where.push(`${table}.search_vector @@ to_tsquery('english', ?)`);
    params.push(query);
  }
  if (args.specialties) {
    where.push(`${table}.specialties && ?::text[]`);
    params.push(`{${args.specialties.join(',')}}`);
  }
  if (args.maxHourlyRate !== null) {
    where.push(`${table}.hourly_rate <= ?`);
    params.push(args.maxHourlyRate);
  }
  if (args.remote !== null) where.push(args.remote ? `${table}.remote` : `not ${table}.remote`);
  return { where, params };
}

/**
 * A page of a one-lexeme search, read from the postings in rank order (see the top of the file).
 * The filters are stated twice, on the posting's copy of the filter columns and on the profile:
 * the planner then has both ways in — walk the postings in rank order, testing the filters inside
 * the index, when they let many profiles through; start from the profiles' own indexes and sort
 * the few they select when they are narrow (PAYROLL at ≤ 40/h). The copies are written with the
 * profile in one transaction, so both statements of a filter always agree.
 */
async function postingsPage(em: EntityManager, args: SearchArgs, lexeme: string, cursor: Cursor | null): Promise<ScoredProfile[]> {
  const onPostings = filters(args, null, 's');
  const onProfiles = filters(args, null, 'p');
  const where = [...onPostings.where, ...onProfiles.where];
  const params = [...onPostings.params, ...onProfiles.params];
  if (cursor) {
    where.unshift('(s.rank_key, s.user_id) > (?, ?::uuid)');
    params.unshift(-cursor.s, cursor.id);
  }
  const sql = `
    select ${PROFILE_COLUMNS}, -s.rank_key as score
      from finder.search_postings s
      join finder.professional_profiles p on p.user_id = s.user_id
     where s.lexeme = ? ${where.map((w) => `and ${w}`).join(' ')}
     order by s.rank_key, s.user_id
     limit ?`;
  return toScored(await em.execute<ProfileRow[]>(sql, [lexeme, ...params, args.first + 1]));
}

async function page(em: EntityManager, args: SearchArgs, query: string | null, cursor: Cursor | null): Promise<ScoredProfile[]> {
  const { where, params } = filters(args, query);
  const score = query === null ? '0' : `round(ts_rank(p.search_vector, to_tsquery('english', ?), 1) * 1000000)::bigint`;
  const scoreParams = query === null ? [] : [query];
  const outer: string[] = [];
  const outerParams: unknown[] = [];
  if (cursor) {
    outer.push('(score < ? or (score = ? and user_id > ?))');
    outerParams.push(cursor.s, cursor.s, cursor.id);
  }
  const sql = `
    select * from (
      select ${PROFILE_COLUMNS}, ${score} as score
        from finder.professional_profiles p
       ${where.length ? `where ${where.join(' and ')}` : ''}) ranked
    ${outer.length ? `where ${outer.join(' and ')}` : ''}
    order by score desc, user_id
    limit ?`;
  return toScored(await em.execute<ProfileRow[]>(sql, [...scoreParams, ...params, ...outerParams, args.first + 1]));
}

/**
 * Search results are plain objects from PROFILE_COLUMNS. Hydrating them as ORM entities (`em.map`)
 * registered each row in the identity map and snapshotted it for change tracking, a sixth of the
 * subgraph's time per search.
 */
const toScored = (rows: ProfileRow[]): ScoredProfile[] =>
  rows.map((row) => ({
    userId: row.user_id,
    headline: row.headline,
    bio: row.bio,
    specialties: row.specialties,
    hourlyRate: row.hourly_rate,
    currency: row.currency,
    location: row.location,
    remote: row.remote,
    yearsExperience: row.years_experience,
    ratingSum: row.rating_sum,
    reviewCount: row.review_count,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    score: Number(row.score),
  }));

/** The SQL a search runs, for EXPLAIN in tests. */
export const searchInternals = { correctedGroups, tokenize, tsquery };
