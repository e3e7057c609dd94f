import { query } from '@finder/testing/database';

/**
 * The same one-word searches two ways, on the same data in the same run: ranking every matching
 * profile (what a search of several words does, and what every search did before the postings) and
 * reading the postings in rank order. Postgres's own execution time (EXPLAIN ANALYZE), median of
 * `runs`, so client and network costs are left out.
 */
export async function compareOneWordPlans(databaseUrl: string, words: string[], runs: number) {
  const rows: { word: string; matches: number; rankEveryMatchMs: number; postingsMs: number }[] = [];
  for (const word of words) {
    const [{ matches }] = (await query<{ matches: number }>(
      databaseUrl,
      `select count(*)::int as matches from finder.professional_profiles where search_vector @@ to_tsquery('english', $1)`,
      [word],
    )) as [{ matches: number }];
    const rankEveryMatch = `select p.user_id, round(ts_rank(p.search_vector, to_tsquery('english', $1), 1) * 1000000)::bigint as score
        from finder.professional_profiles p where p.search_vector @@ to_tsquery('english', $1) order by score desc, p.user_id limit 21`;
    const postings = `select p.user_id, -s.rank_key as score from finder.search_postings s
        join finder.professional_profiles p on p.user_id = s.user_id
       where s.lexeme = (select (tsvector_to_array(to_tsvector('english', $1)))[1]) order by s.rank_key, s.user_id limit 21`;
    rows.push({ word, matches, rankEveryMatchMs: await medianMs(databaseUrl, rankEveryMatch, word, runs), postingsMs: await medianMs(databaseUrl, postings, word, runs) });
  }
  return rows;
}

async function medianMs(databaseUrl: string, sql: string, word: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [row] = await query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(databaseUrl, `explain (analyze, format json) ${sql}`, [word]);
    times.push(row!['QUERY PLAN'][0]['Execution Time']);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}
