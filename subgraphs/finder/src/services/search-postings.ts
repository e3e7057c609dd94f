/**
 * Search postings: one row per (lexeme, profile) with the score a search for that lexeme alone
 * gives the profile — exactly `round(ts_rank(search_vector, lexeme, 1) × 10⁶)`, as the general
 * search computes it. A one-word search (the common case, typos included once corrected) then
 * reads its best rows straight from the index in rank order instead of ranking every match: a word
 * like "finance" appears in every seeded profile.
 *
 * `rank_key` is minus the score, so the order "score desc, user_id asc" is ascending on both
 * columns and a keyset cursor is one row comparison the index can start from.
 */

/** A tsquery of one lexeme, taken as it is (quoted: no stemming, no operators). */
const lexemeQuery = `('''' || replace(replace(l.lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery`;

/** The postings of the profiles `p` selected by the caller's where clause. */
export const selectPostingsSql = `
  select l.lexeme, p.user_id, -round(ts_rank(p.search_vector, ${lexemeQuery}, 1) * 1000000)::integer as rank_key
    from finder.professional_profiles p
   cross join lateral unnest(tsvector_to_array(p.search_vector)) as l(lexeme)`;

export const createPostingsTableSql = `create table finder.search_postings (
  lexeme text not null,
  user_id uuid not null,
  rank_key integer not null)`;

/** Built after a bulk fill (faster than maintaining them row by row). */
export const createPostingsIndexesSql = [
  // Serves one-word searches in rank order, index only (all three columns are in it).
  'create unique index search_postings_rank_idx on finder.search_postings (lexeme, rank_key, user_id)',
  // Replacing a profile's postings, and searches whose filters leave few profiles to look up.
  'create index search_postings_user_idx on finder.search_postings (user_id, lexeme) include (rank_key)',
];
